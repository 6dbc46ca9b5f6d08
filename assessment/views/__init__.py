"""Blueprints, registered by the app factory."""
from . import admin, api, auth, dashboard, evidence, main, monitor, offline, profile, questionnaire

BLUEPRINTS = (main, auth, dashboard, questionnaire, evidence, offline, api, profile, admin, monitor)


def register_blueprints(app) -> None:
    for module in BLUEPRINTS:
        app.register_blueprint(module.bp)
