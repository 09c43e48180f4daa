import { spawnSync } from 'node:child_process'

/**
 * The first Python interpreter that can import every module named, for tests that check Infera
 * against reference tools (onnx's checker, scipy). Debian's python3-* packages install into
 * /usr/bin/python3, which a pyenv or venv `python3` earlier on PATH does not see; INFERA_PYTHON
 * picks one explicitly.
 */
export function findPython(modules: readonly string[]): string | undefined {
  const candidates = [process.env.INFERA_PYTHON, 'python3', '/usr/bin/python3']
  const probe = `import ${modules.join(', ')}`
  return candidates.find(
    (python) => python && spawnSync(python, ['-c', probe], { stdio: 'ignore' }).status === 0,
  )
}
