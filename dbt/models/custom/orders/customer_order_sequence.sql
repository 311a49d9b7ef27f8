{{ config(materialized='table', tags=['custom']) }}
-- Hand-written beside the generated models (docs/custom-models.md): repeat-purchase analysis
-- needs each customer's orders in sequence, a window over rows that a mart's group-by cannot say.
with orders as (
  select order_id, customer_id, placed_at, order_date, net_amount
  from {{ ref('stg_orders__orders') }}
)
select
  order_id,
  customer_id,
  placed_at,
  net_amount,
  row_number() over (partition by customer_id order by placed_at, order_id) as order_number,
  -- A date minus a date is a number of days in DuckDB and in Snowflake alike.
  order_date - lag(order_date) over (partition by customer_id order by placed_at, order_id) as days_since_previous,
  sum(net_amount) over (
    partition by customer_id order by placed_at, order_id rows between unbounded preceding and current row
  ) as lifetime_net_amount
from orders
