# Issue 31: recipients' languages (site contacts) and translated templates.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('django_vox', '0010_inapp_message'),
    ]

    operations = [
        migrations.AddField(
            model_name='sitecontact',
            name='language',
            field=models.CharField(blank=True, help_text="Blank: the site's default language.", max_length=15, verbose_name='language'),
        ),
        migrations.AddField(
            model_name='sitecontact',
            name='timezone',
            field=models.CharField(blank=True, help_text='An IANA name such as "Europe/Paris"; blank: the site\'s time zone.', max_length=63, verbose_name='time zone'),
        ),
        migrations.CreateModel(
            name='TemplateTranslation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('language', models.CharField(help_text="A language code of the site's LANGUAGES.", max_length=15, verbose_name='language')),
                ('subject', models.CharField(blank=True, max_length=500, verbose_name='subject')),
                ('content', models.TextField(blank=True, verbose_name='content')),
                ('from_address', models.CharField(blank=True, help_text="Blank uses the default text's.", max_length=500, verbose_name='from address')),
                ('digest_subject', models.CharField(blank=True, max_length=500, verbose_name='digest subject')),
                ('digest_content', models.TextField(blank=True, verbose_name='digest content')),
                ('source_hash', models.CharField(blank=True, editable=False, max_length=32, verbose_name='translated from')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('template', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='translations', to='django_vox.template', verbose_name='template')),
            ],
            options={
                'verbose_name': 'template translation',
                'verbose_name_plural': 'template translations',
                'constraints': [models.UniqueConstraint(fields=('template', 'language'), name='django_vox_one_translation_per_language')],
            },
        ),
    ]
