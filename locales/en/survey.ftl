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

# XLSForm import (docs/xlsform.md)

xlsform-err-at = Sheet “{ $sheet }”, row { $row }, column { $column }: { $message }
xlsform-err-at-row = Sheet “{ $sheet }”, row { $row }: { $message }
xlsform-err-at-sheet = Sheet “{ $sheet }”: { $message }
xlsform-err-missing-sheet = The workbook has no sheet named “{ $detail }”.
xlsform-err-unsupported-sheet = The sheet “{ $detail }” is not supported.
xlsform-err-missing-column = The column “{ $detail }” is missing.
xlsform-err-unknown-column = The column “{ $detail }” is not supported.
xlsform-err-duplicate-column = The column “{ $detail }” appears twice.
xlsform-err-no-header = This cell holds “{ $detail }” but its column has no header.
xlsform-err-unknown-type = The question type “{ $detail }” is not supported.
xlsform-err-repeat = Repeats (“{ $detail }”) are not supported.
xlsform-err-type-missing = The row has no type.
xlsform-err-unknown-setting = The setting “{ $detail }” is not supported.
xlsform-err-settings-rows = The settings sheet takes one row of values below its header.
xlsform-err-name-missing = The name is missing.
xlsform-err-name-invalid = “{ $detail }” is not a valid name: start with a letter or underscore, then letters, digits, _ - or . only.
xlsform-err-duplicate-name = The name “{ $detail }” is used twice.
xlsform-err-list-name-missing = A choice question needs the name of its choice list after its type.
xlsform-err-missing-list = The choice list “{ $detail }” is not on the choices sheet.
xlsform-err-duplicate-list = The choice list “{ $detail }” is defined twice.
xlsform-err-empty-list = The choice list “{ $detail }” has no choices.
xlsform-err-choice-name = The choice name “{ $detail }” contains a space.
xlsform-err-duplicate-choice = The choice “{ $detail }” appears twice in its list.
xlsform-err-unclosed-group = The group “{ $detail }” has no “end group”.
xlsform-err-unopened-group = “{ $detail }” without a matching “begin group”.
xlsform-err-expression = { $detail }
xlsform-err-unknown-reference = ${"{"}{ $detail }{"}"} does not name a question of this form.
xlsform-err-ambiguous = ${"{"}{ $detail }{"}"} names both a question and a column of the choices sheet; rename one of them.
xlsform-err-other-clash = or_other adds the choice “other”, which its list already has.
xlsform-err-cycle = The display conditions of “{ $detail }” depend on themselves.
xlsform-err-appearance = The appearance “{ $detail }” is not supported here (minimal and horizontal on choice questions, field-list on groups).
xlsform-err-parameters = Range parameters “{ $detail }” are not valid: write start=1 end=10 step=1, step above 0.
xlsform-err-not-applicable = “{ $detail }” does not apply to this type of row.
