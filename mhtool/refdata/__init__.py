"""Reference data: built from raw public files (`build`), read through `store`."""
