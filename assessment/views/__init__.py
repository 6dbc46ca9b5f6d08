"""Blueprints, registered by the app factory."""
from .. import api
from . import (accounts, admin, assign, auth, channels, dashboard, evidence, feedback, main, moderation, monitor,
               notices, offline, profile, questionnaire, receipts, recovery, registry, results, season, stages,
               verify)

BLUEPRINTS = (main, auth, dashboard, questionnaire, evidence, offline, api, profile, admin, monitor,
              assign, verify, moderation, season, stages, results, feedback,
              channels, registry, accounts, recovery, notices, receipts)


def register_blueprints(app) -> None:
    for module in BLUEPRINTS:
        app.register_blueprint(module.bp)
