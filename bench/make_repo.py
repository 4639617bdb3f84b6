"""Write a synthetic but realistic N-service repository for benchmarks (nothing is committed).

Each service gets a Kubernetes Deployment + Service (+ HPA for some), a Spring application.yml or a
.env, and calls two neighbours; a compose file describes the local stack; Terraform describes the VPC,
a database and a cache. `python bench/make_repo.py /tmp/repo100 100`.
"""

from __future__ import annotations

import sys
from pathlib import Path

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: shop
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: {name}
          image: registry.example.com/shop/{name}:1.{index}.0
          ports:
            - containerPort: 8080
          env:
            - name: NEXT_URL
              value: http://{next}.shop.svc.cluster.local:8080
            - name: OTHER_URL
              value: http://{other}:8080
            - name: DATABASE_URL
              value: postgres://{name}@orders-db.internal.shop.example:5432/{name}
          readinessProbe: {{httpGet: {{path: /ready, port: 8080}}}}
          resources:
            requests: {{cpu: 100m, memory: 256Mi}}
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: shop
spec:
  selector: {{app: {name}}}
  ports:
    - port: 8080
"""

HPA = """\
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {name}
  namespace: shop
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {name}}}
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - type: Resource
      resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 70}}}}
"""

SPRING = """\
spring:
  application:
    name: {name}
  datasource:
    url: jdbc:postgresql://orders-db.internal.shop.example:5432/{name}
    hikari:
      maximum-pool-size: 10
resilience4j:
  circuitbreaker:
    instances:
      {next}:
        sliding-window-size: 20
management:
  endpoints:
    web:
      exposure:
        include: health,prometheus
"""

TERRAFORM = """\
module "vpc" {
  source             = "terraform-aws-modules/vpc/aws"
  azs                = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  private_subnets    = ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"]
  enable_nat_gateway = true
  single_nat_gateway = true
}

resource "aws_db_instance" "orders" {
  identifier     = "orders-db"
  engine         = "postgres"
  instance_class = "db.r6g.xlarge"
  multi_az       = true
}

resource "aws_route53_record" "orders_db" {
  zone_id = "Z123"
  name    = "orders-db.internal.shop.example"
  type    = "CNAME"
  records = [aws_db_instance.orders.address]
}
"""


def make_repo(root: Path, services: int) -> Path:
    names = [f"svc{index:03d}" for index in range(services)]
    for index, name in enumerate(names):
        service_dir = root / "services" / name
        (service_dir / "src/main/resources").mkdir(parents=True, exist_ok=True)
        (service_dir / "src/main/resources/application.yml").write_text(
            SPRING.format(name=name, next=names[(index + 1) % services]), encoding="utf-8")
        (service_dir / ".env").write_text(f"OTEL_SERVICE_NAME={name}\nLOG_LEVEL=info\n", encoding="utf-8")
        manifest = DEPLOYMENT.format(name=name, index=index, replicas=1 + index % 3,
                                     next=names[(index + 1) % services], other=names[(index * 7 + 3) % services])
        if index % 2 == 0:
            manifest += HPA.format(name=name)
        (root / "k8s").mkdir(exist_ok=True)
        (root / "k8s" / f"{name}.yaml").write_text(manifest, encoding="utf-8")
    compose = ["services:"]
    for index, name in enumerate(names):
        compose += [f"  {name}:", f"    build: ./services/{name}", "    environment:",
                    f"      NEXT_URL: http://{names[(index + 1) % services]}:8080", "    depends_on: [postgres]"]
    compose += ["  postgres:", "    image: postgres:16", "    command: postgres -c max_connections=500"]
    (root / "docker-compose.yml").write_text("\n".join(compose) + "\n", encoding="utf-8")
    (root / "infra").mkdir(exist_ok=True)
    (root / "infra/main.tf").write_text(TERRAFORM, encoding="utf-8")
    return root


if __name__ == "__main__":
    count_ok = len(sys.argv) == 2 or (len(sys.argv) == 3 and sys.argv[2].isdigit())
    if not count_ok or sys.argv[1].startswith("-"):
        sys.exit(f"usage: python {sys.argv[0]} FOLDER [SERVICES]  (writes a repository of SERVICES services, 100 "
                 "by default, into FOLDER)")
    make_repo(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 100)
