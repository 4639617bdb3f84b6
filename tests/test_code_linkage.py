"""Calls a shared package makes for the services whose code calls into it (graph/linkage.py), read from real Go
code: a client constructor in a folder several services build, a gRPC connection dialed in `main` and handed to
another package, and the services whose code never gives a context a deadline."""

from __future__ import annotations

from pathlib import Path

from conftest import write_repo

from auditor.audit import audit
from auditor.scan import scan

COMPOSE = """\
services:
  trainings:
    build: {context: ., dockerfile: trainings/Dockerfile}
    environment:
      USERS_GRPC_ADDR: users:3000
  trainer:
    build: {context: ., dockerfile: trainer/Dockerfile}
  users:
    build: {context: ., dockerfile: users/Dockerfile}
"""

CLIENT = """\
package client

import (
\t"os"

\t"example.com/app/common/genproto/users"
\t"google.golang.org/grpc"
)

func NewUsersClient() (users.UsersServiceClient, error) {
\tconn, err := grpc.Dial(os.Getenv("USERS_GRPC_ADDR"), grpc.WithInsecure())
\tif err != nil {
\t\treturn nil, err
\t}
\treturn users.NewUsersServiceClient(conn), nil
}
"""

TRAININGS_MAIN = """\
package main

import (
\t"net/http"

\t"example.com/app/common/client"
\t"example.com/app/trainings/adapters"
)

func main() {
\tc, err := client.NewUsersClient()
\tif err != nil {
\t\tpanic(err)
\t}
\tusers := adapters.NewUsersGrpc(c)
\thttp.HandleFunc("/trainings", func(w http.ResponseWriter, r *http.Request) {
\t\t_ = users.Balance(r.Context())
\t})
\thttp.ListenAndServe(":8080", nil)
}
"""

ADAPTER = """\
package adapters

import (
\t"context"

\t"example.com/app/common/genproto/users"
)

type UsersGrpc struct {
\tclient users.UsersServiceClient
}

func NewUsersGrpc(client users.UsersServiceClient) UsersGrpc {
\treturn UsersGrpc{client: client}
}

func (s UsersGrpc) Balance(ctx context.Context) error {
\t_, err := s.client.GetTrainingBalance(ctx, &users.GetTrainingBalanceRequest{})
\treturn err
}
"""

TRAINER_MAIN = """\
package main

import "net/http"

func main() {
\thttp.ListenAndServe(":8080", nil)
}
"""


def _repo(root: Path, **changes: str) -> Path:
    return write_repo(root, _files(**changes))


def _files(**changes: str) -> dict[str, str]:
    files = {
        "docker-compose.yml": COMPOSE,
        "common/go.mod": "module example.com/app/common\n\ngo 1.22\n",
        "common/client/grpc.go": CLIENT,
        "trainings/go.mod": "module example.com/app/trainings\n\ngo 1.22\n",
        "trainings/Dockerfile": "FROM golang:1.22\n",
        "trainings/main.go": TRAININGS_MAIN,
        "trainings/adapters/users.go": ADAPTER,
        "trainer/go.mod": "module example.com/app/trainer\n\ngo 1.22\n",
        "trainer/Dockerfile": "FROM golang:1.22\n",
        "trainer/main.go": TRAINER_MAIN,
        "users/Dockerfile": "FROM golang:1.22\n",
        "users/main.go": TRAINER_MAIN,
    }
    files.update(changes)
    return files


def _calls(root: Path) -> set[tuple[str, str, str, int]]:
    graph = scan(root).graph
    found = set()
    for source, target, edge in graph.edges(data="edge"):
        if edge.kind == "calls" and edge.attrs.get("code"):
            found.add((graph.nodes[source]["node"].name, graph.nodes[target]["node"].name, edge.location.path,
                       edge.location.line))
    return found


def _findings(root: Path, rule: str) -> set[tuple[str, int, str]]:
    return {(f.location.path, f.location.line, f.subject) for f in audit(root).findings if f.rule_id == rule}


def test_a_shared_constructors_dial_is_the_call_of_the_service_that_calls_it(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    # the dial in the shared package is trainings' (its main calls the constructor), not trainer's; the stub call
    # that holds only the stub goes where that dial goes
    assert _calls(root) == {("trainings", "users", "common/client/grpc.go", 11),
                            ("trainings", "users", "trainings/adapters/users.go", 18)}
    # the stub is called with the request's context and trainings sets no deadline anywhere: unbounded
    assert _findings(root, "RESIL001") == {("trainings/adapters/users.go", 18, "compose:service:./trainings")}


def test_a_copy_of_the_module_in_another_chapter_is_not_called_by_this_chapters_code(tmp_path: Path) -> None:
    """A book's chapters each hold their own copy of one Go module (same module paths): chapter 1's trainings calls
    chapter 1's client, and chapter 2's copy of the client, which nothing in chapter 2 calls, dials for nobody."""
    chapter1 = {f"chapter1/{path}": text for path, text in _files().items()}
    chapter2 = {f"chapter2/{path}": text for path, text in _files(**{"trainings/main.go": TRAINER_MAIN}).items()}
    graph = scan(write_repo(tmp_path, {**chapter1, **chapter2})).graph
    calls = {(source, graph.nodes[source]["node"].name, edge.location.path, edge.location.line)
             for source, _, edge in graph.edges(data="edge") if edge.kind == "calls" and edge.attrs.get("code")}
    assert calls == {("compose:service:chapter1/trainings", "trainings", "chapter1/common/client/grpc.go", 11),
                     ("compose:service:chapter1/trainings", "trainings", "chapter1/trainings/adapters/users.go", 18)}


def test_a_deadline_anywhere_in_the_services_code_leaves_the_callers_context_undecided(tmp_path: Path) -> None:
    bounded = TRAININGS_MAIN.replace("\t\t_ = users.Balance(r.Context())",
                                     "\t\tctx, cancel := context.WithTimeout(r.Context(), time.Second)\n"
                                     "\t\tdefer cancel()\n\t\t_ = users.Balance(ctx)").replace(
        "import (\n", "import (\n\t\"context\"\n\t\"time\"\n")
    root = _repo(tmp_path, **{"trainings/main.go": bounded})
    # the code does not decide the bound: the finding stays on the address the configuration gives
    assert _findings(root, "RESIL001") == {("docker-compose.yml", 5, "compose:service:./trainings")}


def test_a_service_that_serves_grpc_may_pass_on_its_callers_deadline(tmp_path: Path) -> None:
    server = """\
package main

import (
\t"context"

\tpb "example.com/app/trainings/genproto/trainings"
)

type server struct{ pb.UnimplementedTrainingsServer }

func (s server) Get(ctx context.Context, req *pb.GetRequest) (*pb.Training, error) {
\treturn nil, nil
}
"""
    root = _repo(tmp_path, **{"trainings/server.go": server})
    assert _findings(root, "RESIL001") == {("docker-compose.yml", 5, "compose:service:./trainings")}


def test_a_connection_dialed_in_main_and_handed_to_another_packages_constructor(tmp_path: Path) -> None:
    files = {
        "docker-compose.yml": "services:\n  frontend:\n    build: .\n  search:\n    image: example/search\n",
        "Dockerfile": "FROM golang:1.22\n",
        "go.mod": "module example.com/hotel\n\ngo 1.22\n",
        "cmd/main.go": """\
package main

import (
\t"example.com/hotel/frontend"
\t"google.golang.org/grpc"
)

func main() {
\tconn, _ := grpc.Dial("search:8080", grpc.WithInsecure())
\tfrontend.New(conn).Run()
}
""",
        "frontend/frontend.go": """\
package frontend

import (
\t"net/http"

\tsearch "example.com/hotel/search/proto"
\t"google.golang.org/grpc"
)

type Frontend struct{ search search.SearchClient }

func New(conn *grpc.ClientConn) *Frontend {
\treturn &Frontend{search: search.NewSearchClient(conn)}
}

func (f *Frontend) Run() {
\thttp.HandleFunc("/hotels", f.hotels)
\thttp.ListenAndServe(":8080", nil)
}

func (f *Frontend) hotels(w http.ResponseWriter, r *http.Request) {
\tf.search.Nearby(r.Context(), &search.NearbyRequest{})
}
""",
    }
    root = write_repo(tmp_path, files)
    assert ("frontend", "search", "frontend/frontend.go", 22) in _calls(root)
    assert _findings(root, "RESIL001") == {("frontend/frontend.go", 22, "compose:service:./frontend")}


SEARCH_SERVER = """\
package main

import (
\t"context"
\t"net"

\tgeo "example.com/hotel/geo/proto"
\tpb "example.com/hotel/search/proto"
\t"google.golang.org/grpc"
)

type server struct {
\tpb.UnimplementedSearchServer
\tgeo geo.GeoClient
}

func (s *server) Nearby(ctx context.Context, req *pb.NearbyRequest) (*pb.Result, error) {
\t_, err := s.geo.Near(ctx, &geo.Request{})
\treturn nil, err
}

func main() {
\tconn, _ := grpc.Dial("geo:8080", grpc.WithInsecure())
\tsrv := grpc.NewServer()
\tpb.RegisterSearchServer(srv, &server{geo: geo.NewGeoClient(conn)})
\tlis, _ := net.Listen("tcp", ":8080")
\tsrv.Serve(lis)
}
"""

FRONTEND = """\
package main

import (
\t"context"
\t"net/http"
\t"time"

\tpb "example.com/hotel/search/proto"
\t"google.golang.org/grpc"
)

func main() {
\tconn, _ := grpc.Dial("search:8080", grpc.WithInsecure())
\tsearch := pb.NewSearchClient(conn)
\thttp.HandleFunc("/hotels", func(w http.ResponseWriter, r *http.Request) {
\t\tsearch.Nearby(CONTEXT, &pb.NearbyRequest{})
\t})
\thttp.ListenAndServe(":8080", nil)
}
"""


def _hotel(root: Path, context: str) -> Path:
    return write_repo(root, {
        "docker-compose.yml": "services:\n  frontend:\n    build: ./frontend\n  search:\n    build: ./search\n"
                              "  geo:\n    build: ./geo\n",
        "frontend/main.go": FRONTEND.replace("CONTEXT", context),
        "search/main.go": SEARCH_SERVER,
        "geo/main.go": "package main\n\nfunc main() {}\n",
    })


def test_a_grpc_server_called_without_a_deadline_passes_none_on(tmp_path: Path) -> None:
    root = _hotel(tmp_path, "r.Context()")
    # frontend calls search with the request's context; search sets no deadline: its call to geo has none either
    assert _findings(root, "RESIL001") == {("frontend/main.go", 16, "compose:service:./frontend"),
                                           ("search/main.go", 18, "compose:service:./search")}
    message = next(f.message for f in audit(root).findings if f.location.path == "search/main.go")
    assert "no code of `search` sets one, and `frontend` calls it without one" in message


def test_a_grpc_server_whose_callers_set_a_deadline_is_not_judged_for_theirs(tmp_path: Path) -> None:
    root = _hotel(tmp_path, "ctx")
    frontend = (tmp_path / "frontend/main.go").read_text().replace(
        "\t\tsearch.Nearby(ctx", "\t\tctx, cancel := context.WithTimeout(r.Context(), time.Second)\n"
                                 "\t\tdefer cancel()\n\t\tsearch.Nearby(ctx")
    (tmp_path / "frontend/main.go").write_text(frontend)
    assert _findings(root, "RESIL001") == set()
