# Enterprises

ent-list-title = Enterprises and institutions
ent-search-placeholder = Name (two characters are enough) or unified social credit code
ent-new-title = New enterprise
ent-edit-title = Edit enterprise
ent-has-union = Has a union
ent-no-union = No union
ent-union = Covering grassroots union
ent-no-groups = None
ent-jurisdiction = Jurisdiction
ent-updated = Last changed
ent-filter-org = Jurisdiction (with sub-orgs)
ent-filter-any-group = Employs new-employment-form workers
ent-filter-no-group = No new-employment-form workers
ent-filter-clear = Clear filters
ent-count-total = Matching enterprises
ent-none = No enterprise matches.
ent-pages = Pages
ent-page-of = Page { $page }
ent-credit-hint = 18 characters including the check character; any letter case
ent-org-hint = Code of the org whose jurisdiction it is in (a street or industry union, say), within your scope
ent-union-hint = Code of the grassroots union covering it; filling it in means it has a union

group-truck_driver = Truck drivers
group-ride_hailing = Ride-hailing drivers
group-courier = Couriers
group-food_delivery = Food-delivery riders
group-other = Others

field-credit_code = Unified social credit code
field-industry = Industry
field-employee_count = Employees
field-new_form_groups = New-employment-form workers
field-has_union = Union
field-union_org_code = Grassroots union code
field-contact_phone = Contact phone
field-union = Union
field-new_forms = New-employment-form workers
field-group = Worker group
field-page = Page

err-credit-length = "{ $field }" must have 18 characters; it has { $len }.
err-credit-chars = "{ $field }": character { $pos } ("{ $char }") is not allowed (digits and capital letters except I, O, Z, S, V).
err-credit-authority = "{ $field }": the first character "{ $char }" is not a registration authority code (1–9, A–H, N or Y).
err-credit-division = "{ $field }": characters 3 to 8 are the 6-digit administrative division code, and character { $pos } is not a digit.
err-credit-check = "{ $field }": the check character (the 18th) is wrong; from the first 17 it should be "{ $expected }". Please check for a typo.
err-credit-taken = This unified social credit code is already registered.
err-group = "{ $field }": "{ $value }" is not a known group (truck drivers, ride-hailing drivers, couriers, food-delivery riders, others).
err-flag = "{ $field }" must be yes or no.
err-union-kind = "{ $field }" must be the code of a grassroots union.
