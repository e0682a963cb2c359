"""HumanEval emitters for Java (``public class Main``, JDK 17) and C# (Mono ``mcs``, C# 7 subset).

Both put the function in a class as a ``public static`` method indented four spaces, so the stop
sequence is ``"\\n    }\\n"`` and the tests start by closing the method. Types follow MultiPL-E's
choices: ``long`` for ``int``, ``double`` for ``float``, ``ArrayList``/``HashMap`` (Java) and
``List``/``Dictionary`` (C#); a Python pair is Java's ``Map.Entry`` (``Map.entry(a, b)``: the JDK
has no tuple type and none is declared in the prompt) and C#'s ``Tuple<...>``; ``Optional[T]`` is
``Optional<T>`` in Java and ``T?``/``null`` in C#.

Deep equality: Java's collection ``equals`` already compares element-wise, so a check is
``Objects.equals(actual, expected)``. C#'s collections compare by reference, so the tests carry a
small recursive ``DeepEq`` over dictionaries, sequences and scalars. A failed check throws (under
Mono, ``Debug.Assert`` would not stop the program).
"""

from __future__ import annotations

from codescale_jax.eval import humaneval_types as ht
from codescale_jax.eval.humaneval import Case
from codescale_jax.eval.humaneval_translate import (Signature, camel, default_value, doc_comment,
                                                    pascal, require_static)
from codescale_jax.eval.humaneval_values import literal, render

JAVA_RESERVED = frozenset("""abstract assert boolean break byte case catch char class const continue
default do double else enum extends final finally float for goto if implements import instanceof int
interface long native new package private protected public return short static strictfp super switch
synchronized this throw throws transient try void volatile while var record yield""".split())
CSHARP_RESERVED = frozenset("""abstract as base bool break byte case catch char checked class const continue
decimal default delegate do double else enum event explicit extern false finally fixed float for foreach
goto if implicit in int interface internal is lock long namespace new null object operator out override
params private protected public readonly ref return sbyte sealed short sizeof stackalloc static string
struct switch this throw true try typeof uint ulong unchecked unsafe ushort using virtual void volatile
while""".split())


def _ident(name: str, reserved: frozenset[str]) -> str:
    name = camel(name)
    return name + "_" if name in reserved else name


def _call(lang: str, fname: str, sig: Signature, case: Case) -> str:
    args = ", ".join(render(lang, literal(a), t) for a, (_, t) in zip(case.args, sig.params))
    return f"{fname}({args})"


class JavaEmitter:
    language = "java"
    stop = ("\n    }\n",)

    def function_name(self, py_name: str) -> str:
        return _ident(py_name, JAVA_RESERVED)

    def prompt(self, sig: Signature) -> str:
        require_static(sig)
        name = self.function_name(sig.name)
        params = ", ".join(f"{ht.type_name('java', t)} {_ident(p, JAVA_RESERVED)}" for p, t in sig.params)
        ret = ht.type_name("java", sig.returns)
        return ("import java.util.*;\nimport java.util.stream.*;\n\npublic class Main {\n"
                + doc_comment(sig, self.language, name, "//", "    ")
                + f"    public static {ret} {name}({params}) {{\n")

    def tests(self, sig: Signature, cases: list[Case]) -> str:
        name = self.function_name(sig.name)
        lines = []
        for i, case in enumerate(cases, 1):
            call = _call("java", name, sig, case)
            if case.tolerance is not None:
                exp = render("java", literal(case.expected), ht.FLOAT)
                cond = f"Math.abs({call} - {exp}) < {case.tolerance!r}"
            else:
                cond = f"Objects.equals({call}, {render('java', literal(case.expected), sig.returns)})"
            lines.append(f"        expect({cond}, {i});\n")
        return ("\n    }\n\n    public static void main(String[] args) {\n" + "".join(lines) + "    }\n\n"
                "    private static void expect(boolean ok, int test) {\n"
                "        if (!ok) {\n            throw new AssertionError(\"test \" + test + \" failed\");\n"
                "        }\n    }\n}\n")

    def default_completion(self, sig: Signature) -> str:
        return f"        return {render('java', default_value(sig.returns), sig.returns)};"


_CSHARP_DEEP_EQ = """
    private static bool DeepEq(object a, object b) {
        if (a == null || b == null) {
            return a == null && b == null;
        }
        var da = a as System.Collections.IDictionary;
        var db = b as System.Collections.IDictionary;
        if (da != null || db != null) {
            if (da == null || db == null || da.Count != db.Count) {
                return false;
            }
            foreach (System.Collections.DictionaryEntry e in da) {
                if (!db.Contains(e.Key) || !DeepEq(e.Value, db[e.Key])) {
                    return false;
                }
            }
            return true;
        }
        var sa = a as System.Collections.IEnumerable;
        var sb = b as System.Collections.IEnumerable;
        if (sa != null && sb != null && !(a is string) && !(b is string)) {
            var la = sa.Cast<object>().ToList();
            var lb = sb.Cast<object>().ToList();
            if (la.Count != lb.Count) {
                return false;
            }
            for (int i = 0; i < la.Count; i++) {
                if (!DeepEq(la[i], lb[i])) {
                    return false;
                }
            }
            return true;
        }
        return a.Equals(b);
    }

    private static void Expect(bool ok, int test) {
        if (!ok) {
            throw new Exception("test " + test + " failed");
        }
    }
}
"""


class CSharpEmitter:
    language = "csharp"
    stop = ("\n    }\n",)

    def function_name(self, py_name: str) -> str:
        return pascal(py_name)

    def prompt(self, sig: Signature) -> str:
        require_static(sig)
        name = self.function_name(sig.name)
        params = ", ".join(f"{ht.type_name('csharp', t)} {_ident(p, CSHARP_RESERVED)}" for p, t in sig.params)
        ret = ht.type_name("csharp", sig.returns)
        return ("using System;\nusing System.Collections.Generic;\nusing System.Linq;\nusing System.Text;\n\n"
                "class Problem {\n" + doc_comment(sig, self.language, name, "//", "    ")
                + f"    public static {ret} {name}({params}) {{\n")

    def tests(self, sig: Signature, cases: list[Case]) -> str:
        name = self.function_name(sig.name)
        lines = []
        for i, case in enumerate(cases, 1):
            call = _call("csharp", name, sig, case)
            if case.tolerance is not None:
                exp = render("csharp", literal(case.expected), ht.FLOAT)
                cond = f"Math.Abs({call} - {exp}) < {case.tolerance!r}"
            else:
                cond = f"DeepEq({call}, {render('csharp', literal(case.expected), sig.returns)})"
            lines.append(f"        Expect({cond}, {i});\n")
        return ("\n    }\n\n    public static void Main(string[] args) {\n" + "".join(lines) + "    }\n"
                + _CSHARP_DEEP_EQ)

    def default_completion(self, sig: Signature) -> str:
        return f"        return {render('csharp', default_value(sig.returns), sig.returns)};"
