# catvae: common tasks. Run inside the project's virtual environment (see README).
.PHONY: install test nbtest pytest reproduce full report check clean

install:            ## set up (CPU torch on these machines via the constraints file)
	pip install -c ci/constraints-cpu.txt -e '.[dev]'

test: nbtest pytest ## the README's test command: every notebook, then the pytest suite

nbtest:
	nbdev_test --n_workers 2

pytest:
	python -m pytest -q tests

reproduce:          ## the smoke study (CPU, about 22 minutes on 2 cores, docs/speed.md): runs/smoke/report.html
	catvae study --config smoke

full:               ## the full study (GPU): runs/full/report.html
	catvae study --config full

check:              ## notebooks clean and package in sync with them
	nbdev_export && nbdev_clean
	@test -z "$$(git status --porcelain -- catvae nbs)" || { git status --short -- catvae nbs; echo 'run nbdev_export and nbdev_clean, then commit'; exit 1; }

clean:
	rm -rf runs .cache
