"""Panel pages for threads: the list with search, and one thread's messages, decisions and
drafts."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from config.roles import (
    allow,
    can_review,
    has_any_role,
)
from engines.selectors import (
    selectable_engine_ids,
)
from prospects import selectors
from prospects.models import Thread

THREADS_PER_PAGE = 25


@allow(has_any_role)
def thread_list(request):
    query = request.GET.get("q", "").strip()[:100]
    page = Paginator(selectors.threads_search(query), THREADS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "query": query, "engine_ids": selectable_engine_ids()}
    template = "prospects/_thread_list.html" if request.htmx else "prospects/thread_list.html"
    return render(request, template, context)


@allow(has_any_role)
def thread_detail(request, thread_id):
    get_object_or_404(Thread, id=thread_id)
    return render(
        request,
        "prospects/thread_detail.html",
        {
            "thread": selectors.thread_with_history(thread_id),
            "can_review": can_review(request.user),
        },
    )
