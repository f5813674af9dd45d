"""The pages, by area: thin functions that check access, call a service or a selector, and render.

Each module is one area of the site (annotate, review, gold, projects, evaluation, transfer, runs,
training, site); none of them imports another's view functions except through `editor`, the shared
side pane of the annotate and review pages.
"""
