"""
Grid search over the CNN's L2 penalty and learning rate
=======================================================

The series (reference 002, part III) adds an L2 regularizer, momentum and a
learning-rate schedule to its CNN. Every one of them is a flat parameter of
:class:`skcnn.KerasCNNClassifier`, so scikit-learn's GridSearchCV can tune
them like any other estimator's.

We search ``alpha_l2`` and ``learning_rate`` of a Pipeline (StandardScaler, CNN)
with 2-fold cross-validation on 2000 digits, 2 epochs per fit to keep it
short, then score the best model on 1000 held-out digits. Each fit is one
process's work: ``n_jobs=2`` runs two at a time.

Measured run time: 660 s wall on two CPU cores shared with other jobs (load average
about 17); it writes no pictures, and the CNN shows no progress bars (``verbose=0``).
"""

import numpy as np
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skcnn import KerasCNNClassifier
from skcnn.datasets import load_mnist

# %%
# 2000 digits to search on, 1000 to test the winner.
digits = load_mnist()
X_train, X_test, y_train, y_test = train_test_split(
    digits.data, digits.target, train_size=2000, test_size=1000, stratify=digits.target, random_state=0
)

# %%
# The grid: parameters of a Pipeline step are prefixed with the step's name.
pipe = make_pipeline(StandardScaler(), KerasCNNClassifier(image_shape=(28, 28, 1), epochs=2, random_state=0))
grid = {
    "kerascnnclassifier__alpha_l2": [0.0, 1e-4, 1e-3],
    "kerascnnclassifier__learning_rate": [3e-4, 1e-3],
}
search = GridSearchCV(pipe, grid, cv=2, n_jobs=2).fit(X_train, y_train)

# %%
# Mean cross-validated accuracy of each combination, best first.
results = search.cv_results_
print("alpha_l2  learning_rate  accuracy (mean +- std)  fit s")
for i in np.argsort(-results["mean_test_score"]):
    params = results["params"][i]
    print(f"{params['kerascnnclassifier__alpha_l2']:8g}  {params['kerascnnclassifier__learning_rate']:13g}  "
          f"{results['mean_test_score'][i]:.4f} +- {results['std_test_score'][i]:.4f}       "
          f"{results['mean_fit_time'][i]:5.1f}")
print("best:", search.best_params_)
print(f"test accuracy of the refitted best pipeline: {search.score(X_test, y_test):.4f}")
