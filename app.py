"""The labelling app: `streamlit run app.py` (or `annotator app`). Only routes; each page lives in annotator/ui/.

The store and the model come from ANNOTATOR_DB and ANNOTATOR_MODEL (see annotator/config.py).
"""

import streamlit as st

from annotator.ui import common

st.set_page_config(page_title="annotator", layout="wide")
page = st.navigation(
    [
        st.Page("annotator/ui/label_page.py", title="Label", default=True),  # served at /
        st.Page("annotator/ui/import_page.py", title="Import", url_path="import"),
        st.Page("annotator/ui/highlight_page.py", title="Highlight", url_path="highlight"),
        st.Page("annotator/ui/model_page.py", title="Model", url_path="model"),
        st.Page("annotator/ui/agreement_page.py", title="Agreement", url_path="agreement"),
    ]
)
common.reviewer_input()
page.run()
