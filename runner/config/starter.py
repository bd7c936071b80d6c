"""What ``smm init`` writes: a project file on the simulated panel and a first campaign,
each explained by its comments, valid as written."""

from __future__ import annotations

PROJECT = """\
# The smm project: where the state lives and which panels exist.
# Every field: docs/reference.md of smm, or the schemas shipped with it.
state: .smm/state.db            # the store of record of every order (keep it safe)
panels:
  demo:
    url: sim://demo?speed=120   # the built-in simulated panel: no account, no network
  # A real panel: its API key comes from the environment variable, never from a file.
  # gator:
  #   url: https://smm-gator.com/api/v2
  #   key_env: SMM_GATOR_KEY
  #   rate_limit: 60/min
"""

CAMPAIGN_FILE = "first.yaml"
CAMPAIGN_NAME = "first-campaign"

CAMPAIGN = f"""\
# A first campaign on the simulated panel: smm plan shows what it orders, smm apply
# places it.  Addresses are {CAMPAIGN_NAME}/<order id>, forever: rename an order with a
# moved: entry, never by editing its id alone.
campaign: {CAMPAIGN_NAME}
panel: demo
budget: 5.00                    # the campaign never spends more than this
orders:
  - id: followers               # smm services demo lists the services and their ids
    service: 1                  # Instagram Followers
    link: https://instagram.com/your-account
    quantity: 100
  - id: likes
    service: 3                  # Instagram Likes
    link: https://instagram.com/p/your-post
    quantity: 200
"""
