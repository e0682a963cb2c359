"""Per-language compile+run recipes: hello world, pass, fail, compile error, stdin (all 7 languages)."""

import pytest

from codescale_jax.eval import runners
from codescale_jax.eval.runners import ExecResult, ToolchainError, run_many, run_program

pytestmark = pytest.mark.toolchain


@pytest.fixture(autouse=True)
def generous_deadline(monkeypatch):
    """Programs here finish in well under a second; 60 s keeps a heavily loaded box from flaking."""
    monkeypatch.setattr(runners, "DEFAULT_RUN_TIMEOUT_S", 60.0)

# language -> (prints "hello 42" and exits 0, exits non-zero through a failed check, does not compile)
PROGRAMS = {
    "python": ('print("hello", 6 * 7)', 'assert sorted([3, 1]) == [3, 1]', None),
    "javascript": ('console.log("hello", 6 * 7);',
                   'const assert = require("node:assert");\nassert.deepStrictEqual([1, 2], [2, 1]);', None),
    "typescript": ('function f(x: number): number { return x * 7; }\nconsole.log("hello", f(6));',
                   'declare var require: any;\nconst assert = require("node:assert");\n'
                   'assert.deepStrictEqual([1, 2], [2, 1]);',
                   'const s: number = "not a number";\nconsole.log(s);'),
    "java": ('public class Main {\n  public static void main(String[] args) {\n'
             '    System.out.println("hello " + (6 * 7));\n  }\n}\n',
             'import java.util.*;\npublic class Main {\n  public static void main(String[] args) {\n'
             '    if (!Arrays.asList(1, 2).equals(Arrays.asList(2, 1))) { throw new AssertionError("no"); }\n'
             '  }\n}\n',
             'public class Main { public static void main(String[] a) { int x = "s"; } }'),
    "csharp": ('using System;\nclass Program {\n  static void Main() { Console.WriteLine("hello " + (6 * 7)); }\n}\n',
               'using System;\nclass Program {\n  static void Main() {\n'
               '    if (Math.Max(1, 2) != 1) { Environment.Exit(1); }\n  }\n}\n',
               'class Program { static void Main() { int x = "s"; } }'),
    "go": ('package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello", 6*7) }\n',
           'package main\n\nimport "os"\n\nfunc main() {\n\tif len("ab") != 3 {\n\t\tos.Exit(1)\n\t}\n}\n',
           'package main\n\nfunc main() { x := 1 }\n'),
    "rust": ('fn main() { println!("hello {}", 6 * 7); }',
             'fn main() { assert_eq!(vec![1, 2], vec![2, 1]); }',
             'fn main() { let x: i32 = "s"; }'),
}
# What each language reads from stdin and echoes back, upper-cased where easy.
STDIN_ECHO = {
    "python": 'import sys\nprint(sys.stdin.read().strip().upper())',
    "javascript": 'const d = require("fs").readFileSync(0, "utf8");\nconsole.log(d.trim().toUpperCase());',
    "typescript": 'declare var require: any;\nconst d: string = require("fs").readFileSync(0, "utf8");\n'
                  'console.log(d.trim().toUpperCase());',
    "java": 'import java.util.*;\npublic class Main { public static void main(String[] a) {\n'
            '  Scanner s = new Scanner(System.in); System.out.println(s.nextLine().trim().toUpperCase()); } }',
    "csharp": 'using System;\nclass Program { static void Main() {\n'
              '  Console.WriteLine(Console.In.ReadToEnd().Trim().ToUpper()); } }',
    "go": 'package main\n\nimport (\n\t"bufio"\n\t"fmt"\n\t"os"\n\t"strings"\n)\n\nfunc main() {\n'
          '\tr := bufio.NewReader(os.Stdin)\n\tl, _ := r.ReadString(\'\\n\')\n'
          '\tfmt.Println(strings.ToUpper(strings.TrimSpace(l)))\n}\n',
    "rust": 'use std::io::Read;\nfn main() { let mut s = String::new();\n'
            '  std::io::stdin().read_to_string(&mut s).unwrap(); println!("{}", s.trim().to_uppercase()); }',
}


@pytest.mark.parametrize("lang", sorted(PROGRAMS))
def test_hello_passes(lang):
    res = run_program(lang, PROGRAMS[lang][0])
    assert isinstance(res, ExecResult)
    assert (res.status, res.phase, res.exit_code) == ("passed", "run", 0), res
    assert res.stdout.strip() == "hello 42"


@pytest.mark.parametrize("lang", sorted(PROGRAMS))
def test_failing_check_fails(lang):
    res = run_program(lang, PROGRAMS[lang][1])
    assert res.status == "failed" and res.phase == "run", res
    assert res.exit_code not in (0, None)


@pytest.mark.parametrize("lang", sorted(lang for lang, p in PROGRAMS.items() if p[2] is not None))
def test_compile_error_is_error(lang):
    res = run_program(lang, PROGRAMS[lang][2])
    assert (res.status, res.phase) == ("error", "compile"), res
    assert res.exit_code not in (0, None)
    assert (res.stdout + res.stderr).strip(), "the compiler's message should be kept"


@pytest.mark.parametrize("lang", ["python", "javascript"])
def test_interpreted_syntax_error_fails_at_run(lang):
    res = run_program(lang, "def (:" if lang == "python" else "function (")
    assert (res.status, res.phase) == ("failed", "run"), res


@pytest.mark.parametrize("lang", sorted(STDIN_ECHO))
def test_stdin_is_fed(lang):
    res = run_program(lang, STDIN_ECHO[lang], stdin="quiet words\n")
    assert res.status == "passed", res
    assert res.stdout.strip() == "QUIET WORDS"


def test_typescript_is_checked_but_not_strict():
    # Type errors fail to compile, but untyped parameters are fine (non-strict, like MultiPL-E's tsc).
    res = run_program("typescript", "function f(x) { return x + 1; }\nconsole.log(f(41));")
    assert (res.status, res.stdout) == ("passed", "42\n"), res


def test_javac_class_data_archive_is_installed_and_used():
    # scripts/install_toolchains.sh builds it; without it Java still works, only slower.
    cds = runners._find("javac_cds")
    assert cds is not None and cds.path.endswith(".jsa")
    assert dict(runners.RECIPES["java"].compile_optional)["javac_cds"].startswith("-J-XX:SharedArchiveFile=")
    assert run_program("java", PROGRAMS["java"][0]).status == "passed"


def test_aliases_and_bad_language():
    assert run_program("py", 'print(1)').status == "passed"
    with pytest.raises(ValueError, match="not an executable language"):
        run_program("english", "hello")
    with pytest.raises(ValueError):
        run_program("cobol", "x")


def test_run_many_keeps_order_and_records_bad_samples():
    samples = [{"id": f"s{i}", "language": "python", "program": f"import sys; sys.exit({i % 2})"} for i in range(5)]
    samples.append({"id": "bad", "language": "klingon", "program": "x"})
    samples.append({"id": "noprog", "language": "python"})
    out = run_many(samples, workers=2)
    assert [r["id"] for r in out] == [s["id"] for s in samples]
    assert [r["status"] for r in out[:5]] == ["passed", "failed", "passed", "failed", "passed"]
    assert out[5]["status"] == "error" and "klingon" in out[5]["stderr"]
    assert out[6]["status"] == "error"
    assert set(out[0]) >= {"id", "language", "status", "exit_code", "stdout", "stderr", "wall_s"}


def test_run_many_caps_record_output():
    prog = 'print("x" * 100000)'
    out = run_many([{"id": 1, "language": "python", "program": prog}])
    assert out[0]["status"] == "passed"
    assert len(out[0]["stdout"]) == runners.RECORD_OUTPUT_CHARS


def test_missing_toolchain_names_install_script(monkeypatch):
    monkeypatch.setattr(runners, "_find", lambda tool: None)
    with pytest.raises(ToolchainError, match="install_toolchains.sh"):
        run_program("go", "package main\nfunc main() {}\n")
    with pytest.raises(ToolchainError, match="rust: rustc"):
        run_many([{"id": 1, "language": "rust", "program": "fn main() {}"}])


def test_tools_in_private_or_masked_places_are_mounted(tmp_path):
    # pytest's tmp_path lies under /tmp, which the sandbox covers with its own tmpfs, and the 0700
    # directory makes it unreachable for the sample uid anyway: the tool's root must be bind-mounted.
    from codescale_jax.eval import sandbox

    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    root = private / "tool"
    (root / "bin").mkdir(parents=True)
    root.chmod(0o755)
    (root / "bin").chmod(0o755)
    exe = root / "bin" / "hello"
    exe.write_text("#!/bin/sh\necho tool-ok\n")
    exe.chmod(0o755)
    tool = runners._expose("probe", str(root), "bin/hello")
    assert tool.mounts and tool.path.startswith(runners.TOOLS + "/")
    r = sandbox.run_sandboxed([tool.path], cwd="/tmp", limits=sandbox.Limits(wall_s=30), uid=sandbox.fresh_uid(),
                              mounts=tool.mounts)
    assert (r.exit_code, r.stdout) == (0, "tool-ok\n"), r
