# 企事业单位

ent-list-title = 企事业单位
ent-search-placeholder = 单位名称（输入两个字即可）或统一社会信用代码
ent-new-title = 新增企事业单位
ent-edit-title = 编辑企事业单位
ent-has-union = 已建会
ent-no-union = 未建会
ent-union = 覆盖的基层工会
ent-no-groups = 无
ent-jurisdiction = 所属组织
ent-updated = 最后修改
ent-filter-org = 所属组织（含下级）
ent-filter-any-group = 有新就业形态劳动者
ent-filter-no-group = 无新就业形态劳动者
ent-filter-clear = 清除筛选
ent-count-total = 符合条件的单位
ent-none = 没有符合条件的企事业单位。
ent-pages = 分页
ent-page-of = 第 { $page } 页
ent-credit-hint = 18 位，含校验位；字母不区分大小写
ent-org-hint = 管辖该单位的组织代码（如街道工会、行业工会），须在您的权限范围内
ent-union-hint = 已建会单位所属基层工会的组织代码；填写即视为已建会

group-truck_driver = 货车司机
group-ride_hailing = 网约车司机
group-courier = 快递员
group-food_delivery = 外卖配送员
group-other = 其他

field-credit_code = 统一社会信用代码
field-industry = 行业
field-employee_count = 职工人数
field-new_form_groups = 新就业形态劳动者
field-has_union = 是否建会
field-union_org_code = 基层工会代码
field-contact_phone = 联系电话
field-union = 是否建会
field-new_forms = 新就业形态劳动者
field-group = 劳动者群体
field-page = 页码

err-credit-length = “{ $field }”应为 18 位，现在是 { $len } 位。
err-credit-chars = “{ $field }”第 { $pos } 位“{ $char }”不是允许的字符（只能是数字或除 I、O、Z、S、V 以外的大写字母）。
err-credit-authority = “{ $field }”第 1 位“{ $char }”不是登记管理部门代码（应为 1–9、A–H、N 或 Y）。
err-credit-division = “{ $field }”第 3 到 8 位应为 6 位数字的行政区划代码，第 { $pos } 位不是数字。
err-credit-check = “{ $field }”校验位（第 18 位）不正确：按前 17 位计算应为“{ $expected }”，请核对是否抄错。
err-credit-taken = 该统一社会信用代码已经登记过，不能重复登记。
err-group = “{ $field }”中的“{ $value }”不是已知的群体（货车司机、网约车司机、快递员、外卖配送员、其他）。
err-flag = “{ $field }”应为“是”或“否”。
err-union-kind = “{ $field }”应为基层工会的组织代码。
