"""HumanEval emitters for Go (1.19, ``package main``) and Rust (2021 edition, ``fn main``).

Both have top-level functions, so the stop sequence is ``"\\n}\\n"`` and the tests start with ``}``.

Go: ``int``, ``float64``, slices, maps; a tuple whose elements share one type is an array ``[N]T``
(Go has no tuples; mixed ones are dropped); ``Optional[T]`` is ``*T`` (``nil`` for ``None``). An
unused import does not compile, and the completion cannot add imports after the prompt, so the
prompt imports what HumanEval solutions commonly need and the tests keep each one referenced.
Equality is a small reflect-based ``deepEqual`` that, unlike ``reflect.DeepEqual``, counts a nil
slice equal to an empty one (a correct Go solution often returns ``nil`` for "no elements").

Rust: ``i64``, ``f64``, ``String`` (also for parameters, as MultiPL-E), ``Vec``, ``HashMap``,
tuples, ``Option``. Each expected value is bound with its type annotated (``let expected: T``), so
integer literals and empty collections need no suffixes; checks are ``assert_eq!`` (``PartialEq`` is
deep) or ``assert!((actual - expected).abs() < tol)``.
"""

from __future__ import annotations

from codescale_jax.eval import humaneval_types as ht
from codescale_jax.eval.humaneval import Case
from codescale_jax.eval.humaneval_translate import (Signature, camel, default_value, doc_comment,
                                                    require_static, snake)
from codescale_jax.eval.humaneval_values import literal, render

GO_RESERVED = frozenset("""break case chan const continue default defer else fallthrough for func go goto if
import interface map package range return select struct switch type var string int bool byte rune len
cap append copy delete make new panic print println max min float64 error true false nil iota""".split())
RUST_RESERVED = frozenset("""as break const continue crate else enum extern false fn for if impl in let loop
match mod move mut pub ref return self static struct super trait true type unsafe use where while async
await dyn abstract become box do final macro override priv typeof unsized virtual yield try""".split())

GO_IMPORTS = ("fmt", "math", "os", "reflect", "sort", "strconv", "strings")
#: Imports the harness does not use itself: referenced once so the file compiles whatever the body uses.
GO_KEEP_ALIVE = {"math": "math.Abs", "sort": "sort.Ints", "strconv": "strconv.Itoa", "strings": "strings.Split"}

_GO_HARNESS = """
func ptrTo[T any](v T) *T {
	return &v
}

func deepEqual(a, b interface{}) bool {
	return sameValue(reflect.ValueOf(a), reflect.ValueOf(b))
}

func sameValue(a, b reflect.Value) bool {
	if !a.IsValid() || !b.IsValid() {
		return a.IsValid() == b.IsValid()
	}
	if a.Kind() != b.Kind() {
		return false
	}
	switch a.Kind() {
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !sameValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			v := b.MapIndex(k)
			if !v.IsValid() || !sameValue(a.MapIndex(k), v) {
				return false
			}
		}
		return true
	case reflect.Ptr:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() && b.IsNil()
		}
		return sameValue(a.Elem(), b.Elem())
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}
"""


def _args(lang: str, sig: Signature, case: Case) -> str:
    return ", ".join(render(lang, literal(a), t) for a, (_, t) in zip(case.args, sig.params))


class GoEmitter:
    language = "go"
    stop = ("\n}\n",)

    def function_name(self, py_name: str) -> str:
        name = camel(py_name)
        return name + "_" if name in GO_RESERVED or name == "main" else name

    def _param(self, name: str) -> str:
        name = camel(name)
        return name + "_" if name in GO_RESERVED else name

    def prompt(self, sig: Signature) -> str:
        require_static(sig)
        name = self.function_name(sig.name)
        params = ", ".join(f"{self._param(p)} {ht.type_name('go', t)}" for p, t in sig.params)
        imports = "".join(f'\t"{m}"\n' for m in GO_IMPORTS)
        return (f"package main\n\nimport (\n{imports})\n\n" + doc_comment(sig, self.language, name, "//")
                + f"func {name}({params}) {ht.type_name('go', sig.returns)} {{\n")

    def tests(self, sig: Signature, cases: list[Case]) -> str:
        name = self.function_name(sig.name)
        keep = "".join(f"var _ = {ref}\n" for ref in GO_KEEP_ALIVE.values())
        lines = []
        for i, case in enumerate(cases, 1):
            call = f"{name}({_args('go', sig, case)})"
            if case.tolerance is not None:
                cond = f"math.Abs({call}-{render('go', literal(case.expected), ht.FLOAT)}) < {case.tolerance!r}"
            else:
                cond = f"deepEqual({call}, {render('go', literal(case.expected), sig.returns)})"
            lines.append(f"\tif !({cond}) {{\n\t\tfmt.Println(\"test {i} failed\")\n\t\tos.Exit(1)\n\t}}\n")
        return "\n}\n\n" + keep + _GO_HARNESS + "\nfunc main() {\n" + "".join(lines) + "}\n"

    def default_completion(self, sig: Signature) -> str:
        return f"\treturn {render('go', default_value(sig.returns), sig.returns)}"


class RustEmitter:
    language = "rust"
    stop = ("\n}\n",)

    def function_name(self, py_name: str) -> str:
        name = snake(py_name)
        return name + "_" if name in RUST_RESERVED or name == "main" else name

    def _param(self, name: str) -> str:
        name = snake(name)
        return name + "_" if name in RUST_RESERVED else name

    def prompt(self, sig: Signature) -> str:
        require_static(sig)
        name = self.function_name(sig.name)
        params = ", ".join(f"{self._param(p)}: {ht.type_name('rust', t)}" for p, t in sig.params)
        return ("use std::collections::HashMap;\n\n" + doc_comment(sig, self.language, name, "///")
                + f"fn {name}({params}) -> {ht.type_name('rust', sig.returns)} {{\n")

    def tests(self, sig: Signature, cases: list[Case]) -> str:
        name = self.function_name(sig.name)
        ret = ht.type_name("rust", sig.returns)
        lines = []
        for i, case in enumerate(cases, 1):
            call = f"{name}({_args('rust', sig, case)})"
            if case.tolerance is not None:
                exp = render("rust", literal(case.expected), ht.FLOAT)
                lines.append(f"    assert!(({call} - {exp}).abs() < {case.tolerance!r}, \"test {i}\");\n")
            else:
                exp = render("rust", literal(case.expected), sig.returns)
                lines.append(f"    {{\n        let expected: {ret} = {exp};\n"
                             f"        assert_eq!({call}, expected, \"test {i}\");\n    }}\n")
        return "\n}\n\nfn main() {\n" + "".join(lines) + "}\n"

    def default_completion(self, sig: Signature) -> str:
        return f"    return {render('rust', default_value(sig.returns), sig.returns)};"
