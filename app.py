"""The labelling app from a checkout: `streamlit run app.py` (or `annotator app`, which runs annotator/ui/app.py)."""

from annotator.ui.app import main

main()
