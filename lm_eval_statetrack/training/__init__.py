"""Training small models on the word-problem tasks: the reference models and the sweep.

Import-light on purpose: the architectures, the trainer and the sweep live in their own
modules and pull in torch only when used.
"""
