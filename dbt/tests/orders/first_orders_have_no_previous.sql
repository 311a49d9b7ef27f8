-- A customer's first order has no previous order, and every later one has: a row returned here
-- means the window's partition or order is wrong.
select order_id, customer_id, order_number, days_since_previous
from {{ ref('customer_order_sequence') }}
where (order_number = 1 and days_since_previous is not null)
   or (order_number > 1 and days_since_previous is null)
