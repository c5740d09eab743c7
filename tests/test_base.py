"""Every skcnn estimator's HTML representation links to its API page."""

import inspect
import re

import pytest
from sklearn.base import BaseEstimator
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import estimator_html_repr

import skcnn
from skcnn._base import DOCS_ROOT, DocLinkMixin

ESTIMATORS = [getattr(skcnn, name) for name in skcnn.__all__
              if inspect.isclass(getattr(skcnn, name)) and issubclass(getattr(skcnn, name), BaseEstimator)]


def test_every_public_estimator_is_found():
    assert {cls.__name__ for cls in ESTIMATORS} == {
        "SingleNeuronClassifier", "MLPScratchClassifier", "KerasCNNClassifier", "ClusterDistanceTransformer"}


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_html_repr_links_to_the_api_page(cls):
    assert issubclass(cls, DocLinkMixin)
    expected = f"{DOCS_ROOT}api/generated/skcnn.{cls.__name__}.html"
    estimator = cls()
    assert estimator._get_doc_link() == expected
    # the page the docs build writes for it: one per name in skcnn.__all__, under that name
    assert cls.__name__ in skcnn.__all__ and getattr(skcnn, cls.__name__) is cls
    assert f'href="{expected}"' in estimator_html_repr(estimator)


def test_pipeline_links_each_step_to_its_own_site():
    pipe = make_pipeline(StandardScaler(), skcnn.ClusterDistanceTransformer(), skcnn.MLPScratchClassifier())
    links = re.findall(r'href="([^"]+\.html)"', estimator_html_repr(pipe))
    assert f"{DOCS_ROOT}api/generated/skcnn.ClusterDistanceTransformer.html" in links
    assert f"{DOCS_ROOT}api/generated/skcnn.MLPScratchClassifier.html" in links
    assert any(link.startswith("https://scikit-learn.org/") and "StandardScaler" in link for link in links)
