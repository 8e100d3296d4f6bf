#!/bin/bash
# One GPU call: the study's runs of some models side by side (data: --source shared, the offline photos in shared/), one process per model (each in its own folder, so
# that no two processes write one study.json), then one archive per folder in $OUT.
#   bash tools/device_models.sh OUT CONFIG SEED MODEL [MODEL ...]      (extra `--set` flags in $SETS)
# The machine has torch but no Jupyter or fastcore: the wheels in .whl/ are installed outside the image and the
# notebooks run as plain Python (CATVAE_EXECUTOR=plain). Merge the folders locally, e.g.
#   for f in OUT/*.tgz; do tar xzf $f -C runs/; done; mv runs/smoke-s0-*/* runs/smoke/
set -u
out=$1; config=$2; seed=$3; shift 3
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/catvae-site .whl/*.whl 2>/dev/null
export PYTHONPATH="$PWD:/tmp/catvae-site" CATVAE_EXECUTOR=plain PYTHONUNBUFFERED=1
export OMP_NUM_THREADS=$(( $(nproc) / $# ))
for m in "$@"; do
  f="$config-s$seed-$m"
  timeout -s INT ${TLIMIT:-86400} python3 -c 'import sys; from catvae.cli import main; sys.exit(main())' study --config "$config" --models "$m" \
    --source shared --no-report --seeds 1 --seed "$seed" --out "runs/$f" ${SETS:-} > "$out/$f.log" 2>&1 &
done
wait
for m in "$@"; do f="$config-s$seed-$m"; tar czf "$out/$f.tgz" --exclude=ckpt --exclude='*.pt' -C runs "$f"; tail -3 "$out/$f.log"; done
