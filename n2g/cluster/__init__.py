"""Recording and building on a Ray cluster (`--executor ray`): many machines, one result.

- `executor`: the `--executor`/`--ray-address`/`--workers` settings, joining or starting
  Ray, and how many workers of what size;
- `recipe`: what a worker needs to load the same model as the driver;
- `schedule`: cost-aware tasks of the build (pure, also simulated by bench.distributed);
- `record`: the corpus in chunks across workers, their top-k states merged exactly;
- `build`: neuron batches across workers, the driver alone writing the graph file.

The results equal a single process's (records byte for byte, graphs line for line), and an
interrupted driver resumes as the local stages do. Ray is an optional extra
(`pip install 'neuron2graph[ray]'`); nothing here is imported by the local path.
"""
