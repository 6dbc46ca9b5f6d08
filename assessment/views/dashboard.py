"""Landing page per role (the full dashboards are built on this)."""
from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("dashboard", __name__, url_prefix="/dasbor")


@bp.route("/")
@login_required
def home():
    return render_template("dashboard/home.html")
