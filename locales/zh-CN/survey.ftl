# 问卷：跳题逻辑和答案约束的表达式（docs/expressions.md）

expr-err-at = 第 { $pos } 个字符：{ $message }
expr-err-empty = 表达式是空的。
expr-err-too-long = 表达式太长（最多 { $detail } 个字符）。
expr-err-too-deep = 括号或运算嵌套太深（最多 { $detail } 层），请拆成几个简单的条件。
expr-err-unexpected-char = 不认识的字符“{ $detail }”。
expr-err-fullwidth = 请用半角（英文）符号：{ $detail }。
expr-err-use-instead = 写法不对，请改为：{ $detail }。
expr-err-unterminated-string = 文字缺少结尾的引号 { $detail }。
expr-err-field-name = 题目引用要写成 ${"{"}题目名称{"}"}，名称以字母或下划线开头：“{ $detail }”不行。
expr-err-bare-name = “{ $detail }”不是函数；引用题目请写 ${"{"}{ $detail }{"}"}。
expr-err-unknown-function = 不支持的函数 { $detail }()。
expr-err-arity = 函数的参数个数不对（{ $detail }）。
expr-err-expected = 这里应该是 { $detail }。
expr-err-unexpected = 这里不应出现“{ $detail }”。
expr-err-end = 表达式没有写完。
expr-err-regex-literal = regex() 的第二个参数必须是加引号的正则表达式。
expr-err-regex-too-long = 正则表达式太长（最多 { $detail } 个字符）。
expr-err-regex-unsupported = 正则表达式中不支持“{ $detail }”（见表达式说明）。
expr-err-regex-invalid = 正则表达式写得不对（{ $detail }）。
