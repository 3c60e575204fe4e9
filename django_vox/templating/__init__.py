"""Templates: what an editor writes, what it may see, and how it is rendered.

Lowest module first:

* :mod:`~django_vox.templating.sizes`: how big a value is (for the budget);
* :mod:`~django_vox.templating.escapes`: data escaped for the message's
  markup wherever it reaches output;
* :mod:`~django_vox.templating.markupworker`: Markdown and html2text
  conversions, run in a worker process (imports nothing of the package);
* :mod:`~django_vox.templating.engine`: the template engine and its limits;
* :mod:`~django_vox.templating.markup`: Markdown and html2text under a size
  and a time limit (the email backends use it);
* :mod:`~django_vox.templating.rules`: which fields and relations of a model a
  template may read (sensitive names, registration rules);
* :mod:`~django_vox.templating.sandbox`: the read-only views of objects that
  enforce those rules;
* :mod:`~django_vox.templating.rendering`: rendering and checking a template;
* :mod:`~django_vox.templating.variables`: describing a model's variables;
* :mod:`~django_vox.templating.samples`: made-up values for previews;
* :mod:`~django_vox.templating.visibility`: the one answer to "what can this
  template see", for individual messages, digests, the admin's picker, its
  save-time checks and the system checks (the security boundary to audit);
* :mod:`~django_vox.templating.preview`: previews of a template and of a digest.

``sizes``, ``escapes`` and ``markupworker`` import nothing of the package.
The modules up to ``variables`` import only the engine, conf and exceptions
(and each other, in that order); ``samples`` imports nothing of the package;
``visibility`` also reads the registry, the issuing context and the digest
window; ``preview`` sits above issuing and digests.  The package's
``__init__`` imports nothing, so the models can use the low modules.
"""
