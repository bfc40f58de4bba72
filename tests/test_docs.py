"""Every public function and class documents itself with a runnable example, and the modules
that teach or reproduce the method cite its paper."""
import importlib
import inspect
import pkgutil

import pytest

import bhlib

MODULES = sorted(m.name for m in pkgutil.walk_packages(bhlib.__path__, "bhlib."))
# classes whose methods and users carry the examples: a base class, exceptions, plain records
NO_EXAMPLE = {"EmbeddingScheme", "SizePlan", "CollisionReport", "History"}


def public_objects():
    """Every function and class a module defines under a public name."""
    for name in MODULES:
        mod = importlib.import_module(name)
        for attr, obj in vars(mod).items():
            if ((inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == name
                    and not attr.startswith("_")):
                yield f"{name}.{attr}", obj


@pytest.mark.parametrize("qualname, obj", list(public_objects()), ids=lambda x: x
                         if isinstance(x, str) else "")
def test_public_api_has_docstring_with_example(qualname, obj):
    doc = inspect.getdoc(obj) or ""
    assert len(doc) > 40, f"{qualname} lacks a docstring"
    if inspect.isclass(obj) and issubclass(obj, Exception) or obj.__name__ in NO_EXAMPLE:
        return
    assert ">>>" in doc, f"{qualname} has no runnable example"


def test_every_module_has_a_docstring():
    for name in MODULES:
        assert (importlib.import_module(name).__doc__ or "").strip(), name


@pytest.mark.parametrize("name", [m for m in MODULES if m.startswith(("bhlib.teaching.",
                                                                       "bhlib.experiment."))
                                  and not m.endswith(("__main__", ".cli", ".records", ".panel"))])
def test_teaching_and_experiment_modules_cite_the_paper(name):
    assert "2109.02471" in importlib.import_module(name).__doc__, name


def test_scheme_files_name_their_paper():
    import bhlib.embeddings.binary_hash as bh
    import bhlib.embeddings.qr as qr
    assert "Yan et al." in bh.__doc__ and "2109.02471" in bh.__doc__
    assert "Shi et al." in qr.__doc__ and "1909.02107" in qr.__doc__
