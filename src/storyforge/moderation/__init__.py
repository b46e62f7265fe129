"""Moderation: customers' submissions → screening → a person's decision → a story in content/.

``submission`` (the record and the lawful reasons), ``store`` (files, atomic writes, the
decision log, crash recovery), ``checks`` (screening), ``intake`` (import and add),
``decide`` (approve, reject, withdraw), ``policy`` (counts for the policy page and the
report), ``commands`` (the command line). Nothing here calls the build.
"""
