# Step 2 of 3: locale and translation key, filled for existing rows.
from django.db import migrations
from wagtail.models import (
    BootstrapLocaleField,
    BootstrapTranslatableModel,
    BootstrapTranslationKeyField,
)


class Migration(migrations.Migration):
    dependencies = [
        ("swapped", "0001_initial"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
    ]

    operations = [
        BootstrapLocaleField("swapped.BasePage"),
        BootstrapTranslationKeyField("swapped.BasePage"),
        BootstrapTranslatableModel("swapped.BasePage"),
    ]
