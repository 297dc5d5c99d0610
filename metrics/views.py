"""The clinic's figures, for the people who work there."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from metrics.chart import weeks_chart
from metrics.selectors import clinic_figures, clinic_of_member, clinics_of_member
from tenancy.zones import clinic_clock


@require_safe
@login_required
def clinics(request: HttpRequest) -> HttpResponse:
    """The figures' page of each clinic one works at; straight to it when there is one."""
    found = clinics_of_member(user=request.user)
    if len(found) == 1:
        return redirect("metrics_figures", clinic_id=found[0].pk)
    return render(request, "metrics/clinics.html", {"clinics": found})


@require_safe
@login_required
def figures(request: HttpRequest, clinic_id: int) -> HttpResponse:
    clinic = clinic_of_member(user=request.user, clinic_id=clinic_id)
    figures = clinic_figures(clinic=clinic, now=timezone.now())
    chart = weeks_chart(
        [(week.start.date(), week.summary.late_share) for week in figures.weeks], figures.goal
    )
    with clinic_clock(clinic.pk):
        return render(request, "metrics/figures.html", {"figures": figures, "chart": chart})
