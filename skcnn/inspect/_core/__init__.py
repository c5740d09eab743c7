"""The inspection runtime: every inspector in :mod:`skcnn.inspect` runs on it.

- :mod:`.model` resolves what is inspected once (an estimator, a Pipeline or a
  ``keras.Model``): its layers, outputs, input shape and input range.
- :mod:`.probe` compiles one function per request (forward to layers, the
  gradient of an objective) and keeps the one cache.
- :mod:`.batch` is the one batch loop.
- :mod:`.ascent` is the one step rule of gradient ascent.

Only this package touches the Keras backend's own API (TensorFlow today).
"""
