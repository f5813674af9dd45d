"""The pages, by area: thin functions that check access, call a service or a selector, and render.

Each module is one area of the site (annotate, review, gold, projects, documents, evaluation,
transfer, runs, training, site). Every page under a project checks access with
`access.project_page`; what the annotate and review pages share (the text with its spans, the
edit helper) is in `editor`, the review page's disagreement snippets in `conflicts`. No page
module imports another's view functions, and none imports inside a function.
"""
