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

# XLSForm 导入（docs/xlsform.md）

xlsform-err-at = 工作表“{ $sheet }”第 { $row } 行 { $column } 列：{ $message }
xlsform-err-at-row = 工作表“{ $sheet }”第 { $row } 行：{ $message }
xlsform-err-at-sheet = 工作表“{ $sheet }”：{ $message }
xlsform-err-missing-sheet = 工作簿中没有名为“{ $detail }”的工作表。
xlsform-err-unsupported-sheet = 不支持工作表“{ $detail }”。
xlsform-err-missing-column = 缺少“{ $detail }”列。
xlsform-err-unknown-column = 不支持“{ $detail }”列。
xlsform-err-duplicate-column = “{ $detail }”列出现了两次。
xlsform-err-no-header = 这个单元格有内容“{ $detail }”，但所在列没有表头。
xlsform-err-unknown-type = 不支持题型“{ $detail }”。
xlsform-err-repeat = 不支持重复组（“{ $detail }”）。
xlsform-err-type-missing = 这一行没有填写题型（type）。
xlsform-err-unknown-setting = 不支持设置项“{ $detail }”。
xlsform-err-settings-rows = settings 工作表在表头下只能有一行设置值。
xlsform-err-name-missing = 缺少名称（name）。
xlsform-err-name-invalid = “{ $detail }”不是有效的名称：以字母或下划线开头，其后只能是字母、数字、_、- 或 .。
xlsform-err-duplicate-name = 名称“{ $detail }”重复使用。
xlsform-err-list-name-missing = 选择题的题型后面要写选项列表的名称。
xlsform-err-missing-list = choices 工作表中没有选项列表“{ $detail }”。
xlsform-err-duplicate-list = 选项列表“{ $detail }”定义了两次。
xlsform-err-empty-list = 选项列表“{ $detail }”没有选项。
xlsform-err-choice-name = 选项名称“{ $detail }”中含有空格。
xlsform-err-duplicate-choice = 选项“{ $detail }”在同一列表中出现了两次。
xlsform-err-unclosed-group = 分组“{ $detail }”缺少“end group”。
xlsform-err-unopened-group = “{ $detail }”没有对应的“begin group”。
xlsform-err-expression = { $detail }
xlsform-err-unknown-reference = ${"{"}{ $detail }{"}"} 不是本问卷中的题目。
xlsform-err-ambiguous = ${"{"}{ $detail }{"}"} 既是题目名称又是 choices 工作表的列名，请改掉其中一个。
xlsform-err-other-clash = or_other 会添加选项“other”，但该选项列表中已有这个选项。
xlsform-err-cycle = “{ $detail }”的显示条件依赖于它自身。
xlsform-err-appearance = 这里不支持显示方式“{ $detail }”（minimal、horizontal 用于选择题，field-list 用于分组）。
xlsform-err-parameters = 滑块参数“{ $detail }”无效：请写 start=1 end=10 step=1，step 须大于 0。
xlsform-err-not-applicable = “{ $detail }”不适用于这一类行。
