from assay.cli.main import entry

entry()
