"""The lines of the seed documents that each check answers to, for ``--explain``.

Generated from readiness/checklists/builtin by ``python -m tests.engine.explain_sources``; do not
edit by hand. Check id -> [(document, document title, section, quoted line)], at most
MAX_QUOTES a check, in document order.
"""

SOURCES: dict[str, list[tuple[str, str, str, str]]] = {
    "ci.actions_pinned": [
        ("002", "Production Deployment Guide", "Dependencies", "- Poetry lock file management")
    ],
    "ci.builds_image": [
        (
            "002",
            "Production Deployment Guide",
            "Pipeline Jobs (Simplified)",
            "- **Single production Docker build**",
        )
    ],
    "ci.lints": [
        (
            "002",
            "Production Deployment Guide",
            "Pipeline Jobs (Simplified)",
            "- Black formatting for backend (Python)",
        ),
        (
            "002",
            "Production Deployment Guide",
            "Pipeline Jobs (Simplified)",
            "- ESLint for frontend (TypeScript)",
        ),
        ("002", "Production Deployment Guide", "Pipeline Jobs (Simplified)", "1. **Lint & Format** (`lint`)"),
        (
            "002",
            "Production Deployment Guide",
            "Testing & Quality",
            "- **Code quality** (Black formatting, ESLint)",
        ),
    ],
    "ci.pipeline_present": [
        (
            "002",
            "Production Deployment Guide",
            "Infrastructure",
            "- **GitHub Actions CI/CD** with automated testing",
        ),
        (
            "002",
            "Production Deployment Guide",
            "Technical Excellence Demonstrated",
            "✅ **CI/CD**: Comprehensive GitHub Actions pipeline",
        ),
    ],
    "ci.runs_tests": [
        (
            "002",
            "Production Deployment Guide",
            "Key Simplifications",
            "- **Native testing**: Faster than Docker-based tests",
        ),
        (
            "002",
            "Production Deployment Guide",
            "Pipeline Jobs (Simplified)",
            "- **Native testing** (faster than Docker)",
        ),
        (
            "002",
            "Production Deployment Guide",
            "Technical Excellence Demonstrated",
            "✅ **Testing**: Unit, integration, performance, production",
        ),
        ("002", "Production Deployment Guide", "Test Categories", "1. **Unit Tests** (`test_basic.py`)"),
        (
            "002",
            "Production Deployment Guide",
            "Testing & Quality",
            "- **Comprehensive test suite** (unit, integration, production-ready)",
        ),
    ],
    "ci.security_scan": [
        ("002", "Production Deployment Guide", "Dependencies", "- Vulnerability scanning (Trivy)"),
        ("002", "Production Deployment Guide", "Docker Security", "- Security scanning in CI/CD"),
        ("002", "Production Deployment Guide", "Pipeline Jobs (Simplified)", "- Dependency security audit"),
        ("002", "Production Deployment Guide", "Pipeline Jobs (Simplified)", "- Trivy vulnerability scanner"),
        (
            "002",
            "Production Deployment Guide",
            "Pipeline Jobs (Simplified)",
            "3. **Security Scan** (`security`)",
        ),
        (
            "002",
            "Production Deployment Guide",
            "Technical Excellence Demonstrated",
            "✅ **Security**: Vulnerability scanning, secure containers",
        ),
    ],
    "compose.build_cache_from": [
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "5. Added cache_from to Production Builds",
            "#### 5. ✅ Added cache_from to Production Builds",
        ),
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "EVALUATION.md - All Feedback Addressed",
            "- ✅ Production missing cache optimization → **FIXED**",
        ),
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "EVALUATION.md Scoring - Before vs After",
            "| **Prod Cache Optimization** | **6/10** | **10/10** | ✅ **Fixed** |",
        ),
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "Production Environment",
            "- ✅ Optimized image caching",
        ),
    ],
    "compose.datastore_auth": [
        (
            "001",
            "Production Optimizations Summary",
            "3. docker-compose.prod.yml Enhancements",
            "- Password authentication",
        )
    ],
    "compose.db_ports_private": [
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Phase 4: Docker Compose",
            "- ✅ Network segmentation (frontend-network, backend-network)",
        )
    ],
    "compose.depends_on_healthy": [
        (
            "001",
            "Production Optimizations Summary",
            "3. docker-compose.prod.yml Enhancements",
            "- **Dependencies**: Proper service dependencies (API waits for Redis)",
        ),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Phase 4: Docker Compose",
            "- ✅ Dependency orchestration (correct startup order)",
        ),
    ],
    "compose.dev_override": [
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "4. Created docker-compose.override.yml",
            "#### 4. ✅ Created docker-compose.override.yml",
        ),
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "4. Created docker-compose.override.yml",
            "**Purpose**: Auto-loaded dev-specific overrides",
        ),
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "4. Created docker-compose.override.yml",
            "- Debug mode enabled",
        ),
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "4. Created docker-compose.override.yml",
            "- Debugger port exposed (5678)",
        ),
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "4. Created docker-compose.override.yml",
            "- Verbose logging for all services",
        ),
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "Development Environment",
            "- ✅ Debug port exposed (5678)",
        ),
    ],
    "compose.env_example": [
        (
            "000",
            "PocketPro:SBA Edition - Optimized Production Build & Deployment (2025)",
            "Quick Start (30 seconds)",
            "cp .env.example .env",
        ),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "2. Configure Environment",
            "cp .env.example .env",
        ),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Docker Infrastructure",
            "├── .env.example # Environment template",
        ),
    ],
    "compose.healthcheck_can_fail": [
        (
            "000",
            "PocketPro:SBA Edition - Optimized Production Build & Deployment (2025)",
            "Design Strategy Improvements",
            "- **Zero-Downtime Deployments**: Health checks ensure seamless updates",
        ),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Using deploy.sh Script",
            "- ✅ Health check validation",
        ),
    ],
    "compose.healthchecks": [
        (
            "001",
            "Production Optimizations Summary",
            "3. docker-compose.prod.yml Enhancements",
            "- Health checks",
        ),
        ("001", "Production Optimizations Summary", "Reliability", "- ✅ Health checks for all services"),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Immediate Actions",
            "4. ✅ Verify health checks pass",
        ),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Phase 4: Docker Compose",
            "- ✅ Health checks for all services",
        ),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Phase 5: Production Runtime",
            "- Used by Docker healthchecks and load balancers",
        ),
    ],
    "compose.images_pinned": [
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Using deploy.sh Script",
            "VERSION=v1.0.0 ./deploy.sh",
        )
    ],
    "compose.images_versioned": [
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Using deploy.sh Script",
            "VERSION=v1.0.0 ./deploy.sh",
        )
    ],
    "compose.log_rotation": [
        (
            "001",
            "Production Optimizations Summary",
            "3. docker-compose.prod.yml Enhancements",
            "- **Logging**: Configured log rotation and size limits",
        ),
        (
            "001",
            "Production Optimizations Summary",
            "Best Practices",
            "5. **Enable log rotation** to prevent disk space issues",
        ),
        ("001", "Production Optimizations Summary", "Deployment Checklist", "- [ ] Set up log rotation"),
        ("001", "Production Optimizations Summary", "Monitoring", "- ✅ Log rotation"),
    ],
    "compose.network_segmentation": [
        (
            "001",
            "Production Optimizations Summary",
            "3. docker-compose.prod.yml Enhancements",
            "- **Networking**: Proper Docker networking with dedicated network",
        ),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Phase 4: Docker Compose",
            "- ✅ Network segmentation (frontend-network, backend-network)",
        ),
    ],
    "compose.no_docker_socket": [
        ("001", "Production Optimizations Summary", "Security", "- ✅ Non-root container execution")
    ],
    "compose.no_plaintext_secrets": [
        (
            "000",
            "PocketPro:SBA Edition - Optimized Production Build & Deployment (2025)",
            "Prerequisites (Simplified)",
            "- **Google Gemini API key** (set as environment variable)",
        ),
        (
            "001",
            "Production Optimizations Summary",
            "Best Practices",
            "1. **Always use environment variables** for sensitive data",
        ),
        ("002", "Production Deployment Guide", "Docker Security", "- No secrets in environment variables"),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Phase 4: Docker Compose",
            "- ✅ Environment variable injection",
        ),
    ],
    "compose.no_privileged": [
        ("001", "Production Optimizations Summary", "Security", "- ✅ Non-root container execution")
    ],
    "compose.persistent_volumes": [
        (
            "001",
            "Production Optimizations Summary",
            "3. docker-compose.prod.yml Enhancements",
            "- **Volume management**: Persistent volumes for:",
        ),
        (
            "001",
            "Production Optimizations Summary",
            "3. docker-compose.prod.yml Enhancements",
            "- ChromaDB index",
        ),
        (
            "001",
            "Production Optimizations Summary",
            "3. docker-compose.prod.yml Enhancements",
            "- Memory database",
        ),
        (
            "001",
            "Production Optimizations Summary",
            "3. docker-compose.prod.yml Enhancements",
            "- Persistent volume storage",
        ),
        (
            "001",
            "Production Optimizations Summary",
            "3. docker-compose.prod.yml Enhancements",
            "- Redis data",
        ),
        (
            "001",
            "Production Optimizations Summary",
            "Best Practices",
            "4. **Use persistent volumes** for data that must survive restarts",
        ),
    ],
    "compose.postgres_shm_size": [
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "3. Added shm_size to ALL Postgres Services",
            "#### 3. ✅ Added shm_size to ALL Postgres Services",
        ),
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "3. Added shm_size to ALL Postgres Services",
            'shm_size: 256mb # Prevents "out of shared memory" errors',
        ),
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "EVALUATION.md - All Feedback Addressed",
            "- ✅ Postgres missing shm_size → **FIXED (all envs)**",
        ),
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "EVALUATION.md Scoring - Before vs After",
            "| **DB Performance** | **7/10** | **10/10** | ✅ **Fixed** |",
        ),
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "Key Benefits",
            "3. **Database Performance**: 20-30% improvement with proper shared memory",
        ),
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "Production Environment",
            "- ✅ Postgres performance optimized",
        ),
    ],
    "compose.redis_auth": [
        (
            "001",
            "Production Optimizations Summary",
            "3. docker-compose.prod.yml Enhancements",
            "- Password authentication",
        ),
        ("001", "Production Optimizations Summary", "Deployment Checklist", "- [ ] Configure Redis password"),
        ("001", "Production Optimizations Summary", "Redis (Optional)", "- `REDIS_PASSWORD`: Redis password"),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Before Production",
            "- [ ] Set up Redis Cloud (or configure Redis authentication)",
        ),
    ],
    "compose.resource_limits": [
        (
            "001",
            "Production Optimizations Summary",
            "3. docker-compose.prod.yml Enhancements",
            "- **Resource limits**: CPU and memory limits for both services",
        ),
        (
            "001",
            "Production Optimizations Summary",
            "3. docker-compose.prod.yml Enhancements",
            "- Resource limits",
        ),
        (
            "001",
            "Production Optimizations Summary",
            "Best Practices",
            "3. **Set appropriate resource limits** based on server capacity",
        ),
        (
            "001",
            "Production Optimizations Summary",
            "Deployment Checklist",
            "- [ ] Set appropriate resource limits",
        ),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Phase 3: Dockerfiles",
            "- 512MB memory limit, curl for healthchecks",
        ),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Phase 4: Docker Compose",
            "- ✅ Resource limits (memory/CPU per service)",
        ),
    ],
    "compose.restart_policy": [
        ("001", "Production Optimizations Summary", "Reliability", "- ✅ Automatic restart policies"),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Phase 4: Docker Compose",
            "- ✅ Restart policies (on-failure, unless-stopped)",
        ),
    ],
    "compose.single_scheduler": [
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Phase 3: Dockerfiles",
            "- Single replica only (prevents duplicate jobs)",
        ),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Phase 4: Docker Compose",
            "backend-worker (cron jobs, replicas: 1)",
        ),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Phase 5: Production Runtime",
            "- Prevents: notification spam, duplicate subscription charges, triple cleanup runs",
        ),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Phase 5: Production Runtime",
            "- Runs as single replica (backend-worker)",
        ),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Resource Limits",
            "| Worker | 256MB | 0.25 | **1** |",
        ),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Why Separate Cron Worker?",
            "- ✅ With: Single worker replica = exactly-once job execution",
        ),
    ],
    "compose.stop_grace_period": [
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Phase 5: Production Runtime",
            "- SIGTERM handler with 30s grace period",
        )
    ],
    "dockerfile.apt_hygiene": [
        (
            "000",
            "PocketPro:SBA Edition - Optimized Production Build & Deployment (2025)",
            "Dockerfile.production (Ultra-Optimized)",
            "RUN apt-get update && apt-get install -y --no-install-recommends \\",
        )
    ],
    "dockerfile.base_image_minimal": [
        (
            "000",
            "PocketPro:SBA Edition - Optimized Production Build & Deployment (2025)",
            "Dockerfile.production (Ultra-Optimized)",
            "FROM python:3.11-slim AS backend",
        ),
        (
            "001",
            "Production Optimizations Summary",
            "2. Dockerfile Optimizations",
            "- Minimal base image (python:3.13-slim)",
        ),
        ("002", "Production Deployment Guide", "Docker Security", "- Minimal base image (python:3.12-slim)"),
    ],
    "dockerfile.base_image_pinned": [
        (
            "000",
            "PocketPro:SBA Edition - Optimized Production Build & Deployment (2025)",
            "Dockerfile.production (Ultra-Optimized)",
            "FROM node:18-alpine AS frontend",
        ),
        (
            "000",
            "PocketPro:SBA Edition - Optimized Production Build & Deployment (2025)",
            "Dockerfile.production (Ultra-Optimized)",
            "FROM python:3.11-slim AS backend",
        ),
        ("002", "Production Deployment Guide", "Key Simplifications", "FROM python:3.12-slim AS python-deps"),
    ],
    "dockerfile.base_image_versioned": [
        ("002", "Production Deployment Guide", "Key Simplifications", "FROM python:3.12-slim AS python-deps")
    ],
    "dockerfile.buildkit_cache": [
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "Development Environment",
            "- ✅ BuildKit cache mounts working",
        ),
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "EVALUATION.md Scoring - Before vs After",
            "| Docker Cache (BuildKit) | 10/10 | 10/10 | ✅ Maintained |",
        ),
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "Modified (docker_dev)",
            "- `Dockerfile` - BuildKit syntax added",
        ),
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "Why These Changes Matter",
            "**BuildKit + Cache Mounts**:",
        ),
    ],
    "dockerfile.exec_form": [
        (
            "000",
            "PocketPro:SBA Edition - Optimized Production Build & Deployment (2025)",
            "Dockerfile.production (Ultra-Optimized)",
            'CMD ["gunicorn", "--bind", "0.0.0.0:5000", "--workers=2", '
            '"--threads=2", "--timeout=120", "run:app"]',
        ),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Graceful Shutdown",
            "SIGTERM → Stop accepting requests",
        ),
    ],
    "dockerfile.healthcheck": [
        (
            "001",
            "Production Optimizations Summary",
            "2. Dockerfile Optimizations",
            "- **Health check**: Built-in health check for container orchestration",
        ),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Phase 3: Dockerfiles",
            "- Non-root user, health checks, layer caching",
        ),
    ],
    "dockerfile.healthcheck_can_fail": [
        (
            "000",
            "PocketPro:SBA Edition - Optimized Production Build & Deployment (2025)",
            "Design Strategy Improvements",
            "- **Zero-Downtime Deployments**: Health checks ensure seamless updates",
        ),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Using deploy.sh Script",
            "- ✅ Health check validation",
        ),
    ],
    "dockerfile.layer_order": [
        (
            "000",
            "PocketPro:SBA Edition - Optimized Production Build & Deployment (2025)",
            "Design Strategy Improvements",
            "- **Layer Caching Optimization**: 90% faster rebuilds with intelligent layer ordering",
        ),
        (
            "001",
            "Production Optimizations Summary",
            "2. Dockerfile Optimizations",
            "- **Layer optimization**: Optimized layer caching for faster builds",
        ),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Phase 3: Dockerfiles",
            "- Non-root user, health checks, layer caching",
        ),
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "Development Environment",
            "- ✅ Fast incremental builds",
        ),
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "EVALUATION.md Scoring - Before vs After",
            "| Layer Ordering | 10/10 | 10/10 | ✅ Maintained |",
        ),
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "Performance Improvements",
            "| Incremental build (deps change) | 10 min | 2-3 min | **3-4x faster** |",
        ),
    ],
    "dockerfile.multi_stage": [
        (
            "000",
            "PocketPro:SBA Edition - Optimized Production Build & Deployment (2025)",
            "Dockerfile.production (Ultra-Optimized)",
            "# Multi-stage build optimized for size and speed",
        ),
        (
            "000",
            "PocketPro:SBA Edition - Optimized Production Build & Deployment (2025)",
            "Dockerfile.production (Ultra-Optimized)",
            "COPY --from=frontend /app/frontend/build ./static",
        ),
        (
            "001",
            "Production Optimizations Summary",
            "2. Dockerfile Optimizations",
            "- **Multi-stage build**: Reduced final image size by using builder stage",
        ),
        (
            "002",
            "Production Deployment Guide",
            "Infrastructure",
            "- **Multi-stage Docker builds** (500MB optimized image)",
        ),
        (
            "002",
            "Production Deployment Guide",
            "Key Simplifications",
            "# Simple 2-stage build: dependencies + production",
        ),
        (
            "002",
            "Production Deployment Guide",
            "Technical Excellence Demonstrated",
            "✅ **Containerization**: Multi-stage Docker optimization",
        ),
    ],
    "dockerfile.no_baked_secrets": [
        (
            "000",
            "PocketPro:SBA Edition - Optimized Production Build & Deployment (2025)",
            "Prerequisites (Simplified)",
            "- **Google Gemini API key** (set as environment variable)",
        ),
        (
            "001",
            "Production Optimizations Summary",
            "Best Practices",
            "1. **Always use environment variables** for sensitive data",
        ),
        ("002", "Production Deployment Guide", "Docker Security", "- No secrets in environment variables"),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Phase 4: Docker Compose",
            "- ✅ Environment variable injection",
        ),
    ],
    "dockerfile.no_remote_script_pipe": [
        (
            "002",
            "Production Deployment Guide",
            "Technical Excellence Demonstrated",
            "✅ **Security**: Vulnerability scanning, secure containers",
        )
    ],
    "dockerfile.non_root_user": [
        (
            "001",
            "Production Optimizations Summary",
            "2. Dockerfile Optimizations",
            "- Non-root user execution",
        ),
        ("001", "Production Optimizations Summary", "Security", "- ✅ Non-root container execution"),
        ("002", "Production Deployment Guide", "Docker Security", "- Non-root user in production container"),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Phase 3: Dockerfiles",
            "- Non-root user, health checks, layer caching",
        ),
    ],
    "dockerfile.npm_ci": [
        (
            "000",
            "PocketPro:SBA Edition - Optimized Production Build & Deployment (2025)",
            "Dockerfile.production (Ultra-Optimized)",
            "RUN npm ci --only=production && npm cache clean --force",
        )
    ],
    "dockerfile.pip_no_cache": [
        (
            "000",
            "PocketPro:SBA Edition - Optimized Production Build & Deployment (2025)",
            "Dockerfile.production (Ultra-Optimized)",
            "RUN pip install --no-cache-dir -r requirements-render-production.txt",
        ),
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "Why These Changes Matter",
            "- Persists pip/npm caches across builds",
        ),
    ],
    "dockerfile.production_server": [
        (
            "000",
            "PocketPro:SBA Edition - Optimized Production Build & Deployment (2025)",
            "Dockerfile.production (Ultra-Optimized)",
            'CMD ["gunicorn", "--bind", "0.0.0.0:5000", "--workers=2", '
            '"--threads=2", "--timeout=120", "run:app"]',
        )
    ],
    "dockerignore.excludes_caches": [
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "1. Created .dockerignore",
            "**Excludes**: `.git/`, `__pycache__/`, `.venv/`, logs, secrets, generated files",
        )
    ],
    "dockerignore.excludes_secrets": [
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "1. Created .dockerignore",
            "**Excludes**: `.git/`, `__pycache__/`, `.venv/`, logs, secrets, generated files",
        )
    ],
    "dockerignore.excludes_vcs": [
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "1. Created .dockerignore",
            "**Excludes**: `.git/`, `__pycache__/`, `.venv/`, logs, secrets, generated files",
        )
    ],
    "dockerignore.present": [
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Docker Infrastructure",
            "├── .dockerignore # Root ignore file",
        ),
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "1. Created .dockerignore",
            "#### 1. ✅ Created .dockerignore",
        ),
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "EVALUATION.md - All Feedback Addressed",
            "- ✅ Missing .dockerignore file → **CREATED**",
        ),
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "EVALUATION.md Scoring - Before vs After",
            "| **.dockerignore** | **0/10** | **10/10** | ✅ **Fixed** |",
        ),
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "Why These Changes Matter",
            "- Critical for remote builders",
        ),
        (
            "004",
            "Deployment Optimization - Implementation Summary",
            "Why These Changes Matter",
            "- Reduces I/O during build",
        ),
    ],
    "health.liveness_fast": [
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Health Monitoring",
            "| `/health` | Liveness | < 100ms | Process running |",
        )
    ],
    "health.liveness_up": [
        (
            "000",
            "PocketPro:SBA Edition - Optimized Production Build & Deployment (2025)",
            "Production Checklist",
            "- [ ] Health endpoint responding",
        ),
        (
            "000",
            "PocketPro:SBA Edition - Optimized Production Build & Deployment (2025)",
            "Reliability Features",
            "- **Health Checks**: `/health` endpoint for monitoring",
        ),
        (
            "000",
            "PocketPro:SBA Edition - Optimized Production Build & Deployment (2025)",
            "Support",
            "- **Health Check**: `curl http://localhost:5000/health`",
        ),
        ("001", "Production Optimizations Summary", "Deployment Checklist", "- [ ] Test health endpoints"),
        ("002", "Production Deployment Guide", "Health Check Endpoints", "GET /api/health"),
        ("002", "Production Deployment Guide", "Render.com Deployment", "- Health check: `/api/health`"),
    ],
    "health.readiness_reports_dependencies": [
        (
            "001",
            "Production Optimizations Summary",
            "1. app.py Improvements",
            "- **Improved health check**: Added comprehensive health check endpoint that includes:",
        ),
        (
            "001",
            "Production Optimizations Summary",
            "1. app.py Improvements",
            "- Agent initialization status",
        ),
        ("001", "Production Optimizations Summary", "1. app.py Improvements", "- Redis connection status"),
        (
            "001",
            "Production Optimizations Summary",
            "1. app.py Improvements",
            "- Sheets cache service status",
        ),
        ("001", "Production Optimizations Summary", "Monitoring", "- ✅ Comprehensive health endpoint"),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Health Monitoring",
            "| `/ready` | Readiness | < 5s | MongoDB + Redis |",
        ),
    ],
    "health.readiness_up": [
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "4. Verify Deployment",
            "curl http://localhost:5000/ready # Backend readiness (MongoDB + Redis)",
        ),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Phase 5: Production Runtime",
            "- `/ready` - Readiness check (MongoDB + Redis validation)",
        ),
    ],
    "health.security_headers": [
        (
            "001",
            "Production Optimizations Summary",
            "1. app.py Improvements",
            "- **Security headers**: Proper security middleware configuration",
        )
    ],
    "health.server_header_hidden": [
        (
            "001",
            "Production Optimizations Summary",
            "4. Run Script Optimizations",
            "- **Security**: Server header disabled to hide version information",
        ),
        ("001", "Production Optimizations Summary", "Security", "- ✅ Server header hiding"),
    ],
    "health.tls_valid": [
        (
            "001",
            "Production Optimizations Summary",
            "Best Practices",
            "9. **Use HTTPS** in production (configure via reverse proxy)",
        ),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Before Production",
            "- SSL termination",
        ),
        (
            "003",
            "Collabry Docker Deployment - Production Implementation Complete",
            "Before Production",
            "- [ ] Configure reverse proxy (Nginx/Cloudflare) with:",
        ),
    ],
    "health.uptime": [
        (
            "001",
            "Production Optimizations Summary",
            "Best Practices",
            "2. **Monitor health endpoints** regularly",
        ),
        ("001", "Production Optimizations Summary", "Monitoring", "- ✅ Service status tracking"),
    ],
    "health.version_reported": [
        ("001", "Production Optimizations Summary", "1. app.py Improvements", "- Version information"),
        (
            "002",
            "Production Deployment Guide",
            "Health Check Endpoints",
            'Response: {"status": "healthy", "timestamp": "...", "version": "1.0.0"}',
        ),
    ],
}
