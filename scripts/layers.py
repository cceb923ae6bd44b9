#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The level check of the source tree (host tool, run by scripts/check-layers.sh,
# which builds the objects first): every #include of a project header and
# every symbol an object uses must point to the same level or lower, no
# private unit is reached from outside, pure units use only level 0, and no
# circle of objects spans two units. The rules are scripts/layers.txt;
# docs/layers.md says how to read them.
#
# Usage: layers.py ROOT OBJDIR LAYERS KNOWN [--raw] -- -IDIR...
#   OBJDIR holds one object per source, OBJDIR/<source path>.o;
#   KNOWN lists the violations of today (the baseline); --raw prints every
#   violation without it (to write a new baseline).
# Prints one violation a line and exits 1 on a new violation or a known one
# that no longer occurs, 0 otherwise (always with --raw), 2 on a bad table.
import os
import re
import subprocess
import sys
from collections import Counter

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
SOURCE_EXT = ('.c', '.h', '.S')


def die(msg):
	print('check-layers: ' + msg, file=sys.stderr)
	sys.exit(2)


def within(path, unit):
	return path == unit or path.startswith(unit + '/')


class Table:
	"""scripts/layers.txt: the level of each unit, private and pure units."""

	def __init__(self, name):
		self.level, self.private, self.pure, self.friends = {}, [], [], set()
		if not os.path.isfile(name):
			die('no table %s' % name)
		with open(name) as f:
			for n, line in enumerate(f, 1):
				words = line.split('#', 1)[0].split()
				if not words:
					continue
				key, paths = words[0], [p.rstrip('/') for p in words[1:]]
				if not paths:
					die('%s:%d: no path' % (name, n))
				if key.isdigit():
					for p in paths:
						if p in self.level:
							die('%s:%d: %s has a level already' % (name, n, p))
						self.level[p] = int(key)
				elif key in ('private', 'pure'):
					getattr(self, key).extend((p, n) for p in paths)
				elif key == 'friend':
					self.friends.update(paths)
				else:
					die('%s:%d: unknown rule %s' % (name, n, key))
		for p, n in self.private + self.pure:
			if p not in self.level:
				die('%s:%d: %s has no level' % (name, n, p))
		self.private = [p for p, _ in self.private]
		self.pure = [p for p, _ in self.pure]

	def prefix_unit(self, path):
		best = None
		for u in self.level:
			if within(path, u) and (best is None or len(u) > len(best)):
				best = u
		return best


class Tree:
	"""The source files under the units of the table and their units."""

	def __init__(self, root, table):
		self.root, self.table = root, table
		self.files = []
		for u in sorted(table.level):
			top = os.path.join(root, u)
			if os.path.isfile(top):
				self.files.append(u)
			for d, subdirs, names in os.walk(top):
				subdirs.sort()
				rel = os.path.relpath(d, root)
				self.files += [os.path.join(rel, x) for x in sorted(names)
					       if x.endswith(SOURCE_EXT)]
		self.files = sorted(set(self.files))
		self.units = {}

	def unit(self, path):
		"""The unit of a file (None: under no unit); a header in
		UNIT/include/ goes to the unit of the sources of its name."""
		if path in self.units:
			return self.units[path]
		u = self.table.prefix_unit(path)
		if u is not None and within(path, u + '/include') and path.endswith('.h'):
			u = self.header_owner(u, path) or u
		self.units[path] = u
		return u

	def header_owner(self, u, header):
		stem = os.path.basename(header)[:-2]
		parts = stem.split('_')
		for i in range(len(parts), 0, -1):
			s = '_'.join(parts[:i])
			owners = set()
			for f in self.files:
				base = os.path.splitext(os.path.basename(f))[0]
				if (f.endswith(('.c', '.S')) and within(f, u) and
				    not within(f, u + '/include') and
				    (base == s or base.startswith(s + '_'))):
					owners.add(self.table.prefix_unit(f))
			if len(owners) == 1:
				return owners.pop()
			if owners:
				return None
		return None

	def level(self, unit):
		return self.table.level[unit]


def judge(tree, src, dst):
	"""Why src may not use dst, or None."""
	t = tree.table
	us, ud = tree.unit(src), tree.unit(dst)
	if ud is None:
		return 'unlisted', 'not in scripts/layers.txt'
	if us == ud:
		return None
	for p in t.private:
		if within(ud, p) and not within(us, p) and src not in t.friends:
			return 'private', 'private to %s' % p
	for p in t.pure:
		if within(us, p) and not within(ud, p) and tree.level(ud) > 0:
			return 'pure', '%s is pure: level 0 only' % p
	if tree.level(ud) > tree.level(us):
		return 'level', 'level %d -> %d' % (tree.level(us), tree.level(ud))
	return None


def check_includes(tree, iflags):
	out = []
	for f in tree.files:
		with open(os.path.join(tree.root, f), errors='replace') as fh:
			lines = fh.readlines()
		for n, line in enumerate(lines, 1):
			m = INCLUDE.match(line)
			if not m:
				continue
			dirs = ([os.path.dirname(f)] if m.group(1) == '"' else []) + iflags
			for d in dirs:
				h = os.path.normpath(os.path.join(d, m.group(2)))
				if os.path.isfile(os.path.join(tree.root, h)):
					break
			else:
				continue	# the C library's
			why = judge(tree, f, h)
			if why:
				out.append(('includes ' + why[0], '%s:%d: includes %s (%s)' % (f, n, h, why[1])))
	return out


def read_objects(tree, objdir):
	"""{source: (defined symbols, used symbols)} of the objects of the
	sources under the units (objects of vanished sources are skipped)."""
	objs = {}
	for f in tree.files:
		o = os.path.join(objdir, f + '.o')
		if f.endswith(('.c', '.S')) and os.path.isfile(o):
			objs[o] = f
	if not objs:
		die('no objects of the listed sources under %s' % objdir)
	res = {f: (set(), set()) for f in objs.values()}
	nm = subprocess.run(['nm', '-o'] + sorted(objs), capture_output=True,
			    text=True, check=True).stdout
	for line in nm.splitlines():
		o, rest = line.split(':', 1)
		w = rest.split()
		if len(w) < 2:
			continue
		kind, sym = w[-2], w[-1]
		if kind in 'Uw':
			res[objs[o]][1].add(sym)
		elif kind.isupper():
			res[objs[o]][0].add(sym)
	return res


def check_calls(tree, objs):
	owner = {}
	for f in sorted(objs):
		for s in objs[f][0]:
			owner.setdefault(s, f)
	out, graph = [], {f: set() for f in objs}
	for f in sorted(objs):
		for s in sorted(objs[f][1]):
			d = owner.get(s)
			if d is None or d == f:
				continue	# the C library's, libgcc's or the linker's
			graph[f].add(d)
			why = judge(tree, f, d)
			if why:
				out.append(('calls ' + why[0], '%s: uses %s from %s (%s)' % (f, s, d, why[1])))
	return out, graph


def components(graph):
	"""Tarjan's strongly connected components of {node: successors}."""
	index, low, stack, on, comps = {}, {}, [], set(), []

	def visit(v):
		index[v] = low[v] = len(index)
		stack.append(v)
		on.add(v)
		for w in sorted(graph[v]):
			if w not in index:
				visit(w)
				low[v] = min(low[v], low[w])
			elif w in on:
				low[v] = min(low[v], index[w])
		if low[v] == index[v]:
			c = []
			while True:
				w = stack.pop()
				on.discard(w)
				c.append(w)
				if w == v:
					break
			comps.append(sorted(c))

	sys.setrecursionlimit(10000)
	for v in sorted(graph):
		if v not in index:
			visit(v)
	return comps


def shortest_cycle(graph, comp, a, b):
	"""A shortest path b -> ... -> a inside comp, a -> b closing it."""
	prev, todo = {b: None}, [b]
	for v in todo:
		if v == a:
			break
		for w in sorted(graph[v]):
			if w in comp and w not in prev:
				prev[w] = v
				todo.append(w)
	path, v = [], a
	while v is not None:
		path.append(v)
		v = prev[v]
	return [a] + path[::-1]


def check_circles(tree, graph):
	"""A circle of objects across units: one line for each use of a file
	in another unit inside a strongly connected component (so that cutting
	a use only removes lines), and {line: a shortest circle through it}."""
	out, cycles = [], {}
	for comp in components(graph):
		if len({tree.unit(f) for f in comp}) < 2:
			continue
		members = set(comp)
		for a in comp:
			for b in sorted(graph[a] & members):
				if tree.unit(a) != tree.unit(b):
					line = '%s: uses %s in a circle (%s -> %s)' % (
						a, b, tree.unit(a), tree.unit(b))
					out.append(('circles', line))
					cycles[line] = shortest_cycle(graph, members, a, b)
	return out, cycles


def key(line):
	"""Baseline lines match without their line number."""
	return re.sub(r'^([^:\s]+):[0-9]+: ', r'\1: ', line)


def main(argv):
	raw = '--raw' in argv
	argv = [a for a in argv if a != '--raw']
	sep = argv.index('--')
	root, objdir, layers, known = argv[:sep]
	iflags = [a[2:] for a in argv[sep + 1:]]
	tree = Tree(root, Table(layers))
	found = check_includes(tree, iflags)
	calls, graph = check_calls(tree, read_objects(tree, objdir))
	circles, cycles = check_circles(tree, graph)
	found += calls + circles
	lines = [l for _, l in found]
	if raw:
		print('# The violations of scripts/layers.txt that the tree has (written by\n'
		      '# scripts/check-layers.sh --raw; docs/layers.md). Lines may only go:\n'
		      '# a violation that is not here fails the check.')
		for l in lines:
			print(l)
		return 0

	base = []
	if os.path.isfile(known):
		with open(known) as f:
			base = [l.rstrip('\n') for l in f if l.strip() and not l.startswith('#')]
	left = Counter(key(l) for l in base)
	new = 0
	for l in lines:
		if left[key(l)] > 0:
			left[key(l)] -= 1
			print('known: ' + l)
		else:
			print(l)
			if l in cycles:
				print('  circle: ' + ' -> '.join(cycles[l]))
			new += 1
	fixed = 0
	for l in base:
		if left[key(l)] > 0:
			left[key(l)] -= 1
			print('fixed, remove it from the baseline: ' + l)
			fixed += 1
	rules = Counter(r for r, _ in found)
	print('check-layers: %d new, %d known, %d fixed; %s' % (
		new, len(lines) - new, fixed, ', '.join(
			'%s %d' % (r, rules[r]) for r in
			('includes level', 'includes private', 'includes pure', 'includes unlisted',
			 'calls level', 'calls private', 'calls pure', 'circles'))))
	return 1 if new or fixed else 0


if __name__ == '__main__':
	sys.exit(main(sys.argv[1:]))
