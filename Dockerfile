# Omnibot's image: CPU-only torch, the bundled model, the NLU caches prepared at build time
# (a container starts in seconds), a non-root user and a health check.
#   docker build -t omnibot .
#   docker run -p 8000:8000 -e SECRET_KEY=... omnibot

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/omnibot/bin:$PATH
RUN python -m venv /opt/omnibot
WORKDIR /src
# torch first, from PyTorch's CPU index: PyPI's Linux build drags in GBs of CUDA libraries.
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
# The rest of the tree exactly as locked (hashes checked), in its own layer so code changes
# do not reinstall it.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY adapters ./adapters
COPY intents ./intents
COPY knowledge ./knowledge
# Then the ONNX export of the model and the training embeddings, made once here.
RUN pip install --no-cache-dir --no-deps . \
    && HF_HUB_OFFLINE=1 OMNIBOT_DATA_DIR=/tmp/omnibot CACHE_DIR=/cache omnibot prepare

FROM python:3.11-slim-bookworm
# A fixed numeric uid, so `runAsNonRoot` checks and volume permissions can rely on it.
RUN groupadd --system --gid 10001 omnibot \
    && useradd --system --uid 10001 --gid omnibot --create-home --home-dir /home/omnibot omnibot \
    && mkdir /data \
    && chown 10001:10001 /data
COPY --from=build /opt/omnibot /opt/omnibot
COPY --from=build --chown=10001:10001 /cache /home/omnibot/cache
ENV PATH=/opt/omnibot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    OMNIBOT_DATA_DIR=/data \
    CACHE_DIR=/home/omnibot/cache \
    HOST=0.0.0.0 \
    PORT=8000 \
    LOG_FORMAT=json
USER 10001:10001
WORKDIR /home/omnibot
VOLUME ["/data"]
EXPOSE 8000
# Liveness only: /readyz (database, Redis, model, migrations) is for the load balancer.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["omnibot", "run"]
