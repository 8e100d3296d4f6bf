"The package's rooms: no two modules of catvae import each other, directly or through others (issue 25)."
import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / 'catvae'

def imports_of(path: Path) -> set:
    "The catvae modules a file imports anywhere in it (top level or inside functions)."
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            mod = ('catvae.' + node.module if node.module else 'catvae') if node.level else (node.module or '')
            if mod == 'catvae': out |= {f'catvae.{a.name}' for a in node.names}
            elif mod.startswith('catvae.'): out.add(mod)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith('catvae.')}
    return {m for m in out if (PKG / f"{m.split('.')[1]}.py").exists()}

def test_no_import_cycles():
    graph = {f'catvae.{p.stem}': imports_of(p) - {f'catvae.{p.stem}'} for p in PKG.glob('*.py') if p.stem != '_modidx'}
    def reach(start):
        seen, todo = set(), [start]
        while todo:
            for n in graph.get(todo.pop(), ()):
                if n not in seen: seen.add(n); todo.append(n)
        return seen
    cycles = sorted(m for m in graph if m in reach(m))
    assert not cycles, {m: sorted(graph[m]) for m in cycles}
    assert 'catvae.inpaint' in graph['catvae.cli'] and 'catvae.study' in graph['catvae.cli']   # the command on top
    assert {'catvae.config', 'catvae.results', 'catvae.study'} <= graph['catvae.cli']   # the study's rooms, each its own module
    assert not [m for m, deps in graph.items() if 'catvae.cli' in deps]                    # nothing imports the command
