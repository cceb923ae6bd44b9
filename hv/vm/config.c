/* SPDX-License-Identifier: MIT */
/*
 * Parser of the run configuration (format in config.h). The config comes from
 * the boot medium, not from a guest, but is still parsed defensively: every
 * field bounded, every error reported with its line number.
 */
#include <errcode.h>
#include <hv/vm/config.h>
#include <stdio.h>
#include <string.h>

#define MIN_VM_MEM (1ULL << 20)
#define MAX_VM_MEM (64ULL << 30)

struct cursor {
	const char *p, *end;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static void skip_blanks(struct cursor *c)
{
	while (c->p < c->end && is_blank(*c->p))
		c->p++;
}

/* A token: up to a blank, '=' or end; or a "quoted string". */
static bool token(struct cursor *c, const char **s, size_t *n, bool stop_at_eq)
{
	skip_blanks(c);
	if (c->p >= c->end)
		return false;
	if (*c->p == '"') {
		const char *q = ++c->p;

		while (c->p < c->end && *c->p != '"')
			c->p++;
		if (c->p >= c->end)
			return false;
		*s = q;
		*n = (size_t)(c->p - q);
		c->p++;
		return true;
	}
	*s = c->p;
	while (c->p < c->end && !is_blank(*c->p) && !(stop_at_eq && *c->p == '='))
		c->p++;
	*n = (size_t)(c->p - *s);
	return *n > 0;
}

static bool expect_eq(struct cursor *c)
{
	skip_blanks(c);
	if (c->p < c->end && *c->p == '=') {
		c->p++;
		return true;
	}
	return false;
}

static bool word_is(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && memcmp(s, w, n) == 0;
}

bool config_parse_size(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0, mul = 1;

	if (n == 0)
		return false;
	switch (s[n - 1]) {
	case 'K': case 'k': mul = 1ULL << 10; n--; break;
	case 'M': case 'm': mul = 1ULL << 20; n--; break;
	case 'G': case 'g': mul = 1ULL << 30; n--; break;
	default: break;
	}
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT64_MAX / mul)
		return false;
	*out = v * mul;
	return true;
}

static bool copy_field(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

static bool valid_name(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return n > 0;
}

/* Two module names for one file: FAT (the ESP) does not tell case apart. */
static bool same_file(const char *a, const char *b)
{
	if (!a[0])
		return false;
	for (; *a && *b; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;

		if (x != y)
			return false;
	}
	return *a == *b;
}

/* The key under which VM v boots from file (its modules it only reads), or NULL. */
static const char *boot_use(const struct vm_config *v, const char *file)
{
	if (same_file(v->image, file))
		return "image";
	if (same_file(v->initrd, file))
		return "initrd";
	for (unsigned int i = 0; i < v->nr_modules; i++)
		if (same_file(v->modules[i].file, file))
			return "module";
	return NULL;
}

/* module="NAME text": NAME is the boot module, the whole value its string. */
static const char *parse_module(struct vm_config *vm, const char *v, size_t vn)
{
	struct cfg_module *m;
	size_t fn = 0;

	if (vm->nr_modules == CFG_MAX_MODULES)
		return "too many module= (at most 4)";
	m = &vm->modules[vm->nr_modules];
	while (fn < vn && !is_blank(v[fn]))
		fn++;
	if (!fn)
		return "module= needs a file name first";
	if (!copy_field(m->file, sizeof(m->file), v, fn) ||
	    !copy_field(m->string, sizeof(m->string), v, vn))
		return "module= too long (file name 63, all 127 characters)";
	vm->nr_modules++;
	return NULL;
}

/*
 * A disk module is the disk itself, written in place for the whole run. It
 * may be no module a VM boots from (that VM would read what the other wrote,
 * and a write would change its image under it), not the config, and the disk
 * of one VM only (two VMs would see each other's writes). vm is the entry
 * being added; msg gets the reason.
 */
static const char *disk_conflict(const struct hv_config *cfg, const struct vm_config *vm,
				 char *msg, size_t cap)
{
	const char *use;

	if (same_file(vm->disk, CFG_FILE_NAME)) {
		snprintf(msg, cap, "disk=%s is the configuration file", vm->disk);
		return msg;
	}
	if (vm->disk[0] && (use = boot_use(vm, vm->disk))) {
		snprintf(msg, cap, "disk=%s is also this VM's %s= (a disk is written in place)",
			 vm->disk, use);
		return msg;
	}
	for (unsigned int i = 0; i < cfg->nr_vms; i++) {
		const struct vm_config *o = &cfg->vms[i];

		if (vm->disk[0] && (use = boot_use(o, vm->disk))) {
			snprintf(msg, cap, "disk=%s is VM %s's %s= (a disk is written in place)",
				 vm->disk, o->name, use);
			return msg;
		}
		if (same_file(o->disk, vm->disk)) {
			snprintf(msg, cap, "disk=%s is also VM %s's disk= (one VM per disk)", vm->disk,
				 o->name);
			return msg;
		}
		if (o->disk[0] && (use = boot_use(vm, o->disk))) {
			snprintf(msg, cap, "%s=%s is VM %s's disk= (a disk is written in place)", use,
				 o->disk, o->name);
			return msg;
		}
	}
	return NULL;
}

static const char *parse_vm(struct cursor *c, struct hv_config *cfg, char *msg, size_t cap)
{
	struct vm_config *vm;
	const char *k, *v;
	size_t kn, vn;

	if (cfg->nr_vms == CFG_MAX_VMS)
		return "too many VMs";
	vm = &cfg->vms[cfg->nr_vms];
	memset(vm, 0, sizeof(*vm));
	vm->after = -1;
	vm->nr_vcpus = 1;
	while (token(c, &k, &kn, true)) {
		if (!expect_eq(c) || !token(c, &v, &vn, false))
			return "expected key=value";
		if (word_is(k, kn, "name")) {
			if (!valid_name(v, vn) || !copy_field(vm->name, sizeof(vm->name), v, vn))
				return "bad VM name (letters, digits, - _ . ; at most 31)";
		} else if (word_is(k, kn, "image")) {
			if (!copy_field(vm->image, sizeof(vm->image), v, vn))
				return "image name too long";
		} else if (word_is(k, kn, "mem")) {
			if (!config_parse_size(v, vn, &vm->mem_bytes))
				return "bad mem size";
		} else if (word_is(k, kn, "initrd")) {
			if (!copy_field(vm->initrd, sizeof(vm->initrd), v, vn))
				return "initrd name too long";
		} else if (word_is(k, kn, "module")) {
			const char *bad = parse_module(vm, v, vn);

			if (bad)
				return bad;
		} else if (word_is(k, kn, "disk")) {
			if (!copy_field(vm->disk, sizeof(vm->disk), v, vn))
				return "disk name too long";
		} else if (word_is(k, kn, "after")) {
			vm->after = -1;
			for (unsigned int i = 0; i < cfg->nr_vms; i++)
				if (word_is(v, vn, cfg->vms[i].name))
					vm->after = (int)i;
			if (vm->after < 0)
				return "after= names no VM defined before this one";
		} else if (word_is(k, kn, "delay_ms")) {
			if (!config_parse_size(v, vn, &vm->delay_ms) || vm->delay_ms > 3600000)
				return "bad delay_ms (at most 3600000)";
		} else if (word_is(k, kn, "on_reset")) {
			if (word_is(v, vn, "stop"))
				vm->reset_stops = true;
			else if (word_is(v, vn, "restart"))
				vm->reset_stops = false;
			else
				return "on_reset must be restart or stop";
		} else if (word_is(k, kn, "time_limit_ms")) {
			if (!config_parse_size(v, vn, &vm->time_limit_ms) || !vm->time_limit_ms ||
			    vm->time_limit_ms > 3600000)
				return "bad time_limit_ms (1 to 3600000)";
		} else if (word_is(k, kn, "vcpus")) {
			uint64_t n;

			if (!config_parse_size(v, vn, &n) || n < 1 || n > CFG_MAX_VCPUS) {
				snprintf(msg, cap, "bad vcpus (1 to %u)", CFG_MAX_VCPUS);
				return msg;
			}
			vm->nr_vcpus = (unsigned int)n;
		} else if (word_is(k, kn, "balloon")) {
			if (word_is(v, vn, "off")) {
				vm->balloon = CFG_BALLOON_OFF;
			} else {
				if (!config_parse_size(v, vn, &vm->balloon_bytes) ||
				    vm->balloon_bytes % PAGE_SIZE)
					return "bad balloon size (a multiple of 4K, or off)";
				vm->balloon = CFG_BALLOON_ON;
			}
		} else if (word_is(k, kn, "cmdline")) {
			if (!copy_field(vm->cmdline, sizeof(vm->cmdline), v, vn))
				return "cmdline too long";
		} else {
			return "unknown VM key";
		}
	}
	if (!vm->name[0] || !vm->image[0] || !vm->mem_bytes)
		return "a VM needs name=, image= and mem=";
	if (vm->mem_bytes < MIN_VM_MEM || vm->mem_bytes > MAX_VM_MEM || vm->mem_bytes % PAGE_SIZE)
		return "mem must be a multiple of 4K between 1M and 64G";
	if (vm->balloon == CFG_BALLOON_ON && vm->balloon_bytes > vm->mem_bytes)
		return "balloon larger than mem";
	for (unsigned int i = 0; i < cfg->nr_vms; i++)
		if (strcmp(cfg->vms[i].name, vm->name) == 0)
			return "duplicate VM name";
	if (disk_conflict(cfg, vm, msg, cap))
		return msg;
	cfg->nr_vms++;
	return NULL;
}

static const char *parse_line(struct cursor *c, struct hv_config *cfg, char *msg, size_t cap)
{
	const char *k, *v;
	size_t kn, vn;

	if (!token(c, &k, &kn, true))
		return NULL; /* empty line */
	if (word_is(k, kn, "vm"))
		return parse_vm(c, cfg, msg, cap);
	if (!expect_eq(c) || !token(c, &v, &vn, false))
		return "expected key = value";
	if (word_is(k, kn, "pool")) {
		if (!config_parse_size(v, vn, &cfg->pool_bytes))
			return "bad pool size";
	} else if (word_is(k, kn, "swap")) {
		if (!config_parse_size(v, vn, &cfg->swap_bytes))
			return "bad swap size";
	} else if (word_is(k, kn, "host_mem")) {
		if (!config_parse_size(v, vn, &cfg->host_mem_bytes) || cfg->host_mem_bytes < (16ULL << 20))
			return "bad host_mem size (at least 16M)";
	} else if (word_is(k, kn, "cpus")) {
		uint64_t n;

		if (!config_parse_size(v, vn, &n) || n < 1 || n > CFG_MAX_CPUS)
			return "bad cpus (1 to 256)";
		cfg->max_cpus = (unsigned int)n;
	} else if (word_is(k, kn, "stats_interval_ms")) {
		if (!config_parse_size(v, vn, &cfg->stats_interval_ms))
			return "bad stats_interval_ms";
	} else if (word_is(k, kn, "mitigations")) {
		if (word_is(v, vn, "auto"))
			cfg->mitigations = CFG_MITIGATIONS_AUTO;
		else if (word_is(v, vn, "force"))
			cfg->mitigations = CFG_MITIGATIONS_FORCE;
		else if (word_is(v, vn, "off"))
			cfg->mitigations = CFG_MITIGATIONS_OFF;
		else
			return "mitigations: auto, force or off";
	} else {
		return "unknown key";
	}
	skip_blanks(c);
	return c->p < c->end ? "trailing text" : NULL;
}

int config_parse(const char *text, size_t len, struct hv_config *cfg, char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	unsigned int lineno = 0;

	memset(cfg, 0, sizeof(*cfg));
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *hash, *msg;
		char why[160];
		struct cursor c;

		if (!eol)
			eol = end;
		lineno++;
		hash = memchr(p, '#', (size_t)(eol - p));
		c.p = p;
		c.end = hash ? hash : eol;
		if (memchr(p, '\0', (size_t)(c.end - p))) {
			snprintf(err, errlen, "line %u: NUL byte", lineno);
			return -EINVAL;
		}
		msg = parse_line(&c, cfg, why, sizeof(why));
		if (msg) {
			snprintf(err, errlen, "line %u: %s", lineno, msg);
			return -EINVAL;
		}
		p = eol + 1;
	}
	if (cfg->nr_vms == 0) {
		snprintf(err, errlen, "no vm lines");
		return -EINVAL;
	}
	return 0;
}
