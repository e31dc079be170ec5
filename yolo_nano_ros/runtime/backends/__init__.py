"""Inference backends behind one interface (see base.py); one module each."""
