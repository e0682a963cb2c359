"""HumanEval emitters for JavaScript (node) and TypeScript (``tsc`` non-strict, then node).

The function is top level, so the stop sequence is ``"\\n}"`` and the tests start with ``}``.
Values: numbers, arrays for lists and tuples, objects for string-keyed dicts, ``undefined`` for
``None`` (MultiPL-E's choice). JavaScript needs no types, so it keeps problems whose values mix
types; TypeScript writes them ``any``. Checks use ``assert.deepStrictEqual`` (deep, no coercion:
``"1"`` is not ``1``), or ``Math.abs(actual - expected) < tol`` where Python compared with a tolerance.
"""

from __future__ import annotations

from codescale_jax.eval import humaneval_types as ht
from codescale_jax.eval.humaneval import Case
from codescale_jax.eval.humaneval_translate import Signature, camel, default_value, doc_comment
from codescale_jax.eval.humaneval_values import literal, render

JS_RESERVED = frozenset("""break case catch class const continue debugger default delete do else enum export
extends false finally for function if import in instanceof new null return super switch this throw true
try typeof var void while with yield let static implements interface package private protected public
await arguments eval""".split())


def _ident(name: str) -> str:
    name = camel(name)
    return name + "_" if name in JS_RESERVED else name


class JavaScriptEmitter:
    language = "javascript"
    stop = ("\n}",)
    typed = False

    def function_name(self, py_name: str) -> str:
        return _ident(py_name)

    def _param(self, name: str, t: ht.Type) -> str:
        return _ident(name) + (f": {ht.type_name('typescript', t)}" if self.typed else "")

    def prompt(self, sig: Signature) -> str:
        name = self.function_name(sig.name)
        params = ", ".join(self._param(p, t) for p, t in sig.params)
        ret = f": {ht.type_name('typescript', sig.returns)}" if self.typed else ""
        return doc_comment(sig, self.language, name, "//") + f"function {name}({params}){ret} {{\n"

    def tests(self, sig: Signature, cases: list[Case]) -> str:
        lang = self.language
        lines = []
        for case in cases:
            args = ", ".join(render(lang, literal(a), t) for a, (_, t) in zip(case.args, sig.params))
            if case.tolerance is not None:
                exp = render(lang, literal(case.expected), ht.FLOAT)
                lines.append(f"  assert.ok(Math.abs(candidate({args}) - {exp}) < {case.tolerance!r});\n")
            else:
                exp = render(lang, literal(case.expected), sig.returns)
                lines.append(f"  assert.deepStrictEqual(candidate({args}), {exp});\n")
        head = "declare var require: any;\n" if self.typed else ""
        return ("\n}\n\n" + head + 'const assert = require("node:assert");\n\nfunction test() {\n'
                f"  let candidate = {self.function_name(sig.name)};\n" + "".join(lines) + "}\n\ntest();\n")

    def default_completion(self, sig: Signature) -> str:
        return f"  return {render(self.language, default_value(sig.returns), sig.returns)};"


class TypeScriptEmitter(JavaScriptEmitter):
    language = "typescript"
    typed = True
