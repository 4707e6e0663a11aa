# Questionnaires: the expressions of skip logic and constraints (docs/expressions.md)

expr-err-at = Character { $pos }: { $message }
expr-err-empty = The expression is empty.
expr-err-too-long = The expression is too long (at most { $detail } characters).
expr-err-too-deep = Too many nested brackets or operators (at most { $detail } levels); split it into simpler conditions.
expr-err-unexpected-char = Unknown character “{ $detail }”.
expr-err-fullwidth = Use half-width (English) symbols: { $detail }.
expr-err-use-instead = Write it differently: { $detail }.
expr-err-unterminated-string = A text is missing its closing quote { $detail }.
expr-err-field-name = Refer to a question as ${"{"}name{"}"}, the name starting with a letter or underscore: “{ $detail }” is not one.
expr-err-bare-name = “{ $detail }” is not a function; to refer to a question write ${"{"}{ $detail }{"}"}.
expr-err-unknown-function = The function { $detail }() is not supported.
expr-err-arity = Wrong number of arguments ({ $detail }).
expr-err-expected = Expected { $detail } here.
expr-err-unexpected = “{ $detail }” is not expected here.
expr-err-end = The expression ends too early.
expr-err-regex-literal = The second argument of regex() must be a quoted pattern.
expr-err-regex-too-long = The pattern is too long (at most { $detail } characters).
expr-err-regex-unsupported = The pattern uses “{ $detail }”, which is not supported (see the expression guide).
expr-err-regex-invalid = The pattern is not valid ({ $detail }).
