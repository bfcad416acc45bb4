from django.apps import AppConfig


class ToyConfig(AppConfig):
    name = "clientela.core.tests.toy"
    label = "toy"
