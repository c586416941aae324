from __future__ import annotations

from typing import Any

import requests

from connectors.jira.simulator import JiraSimulator, Site

from .conftest import adf, rest


def create(http: requests.Session, sim: JiraSimulator, **fields: Any) -> str:
    body = {
        "fields": {"project": {"key": "SUP"}, "issuetype": {"name": "Task"}, "summary": "A task", **fields}
    }
    response = http.post(rest(sim, "/issue"), json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def test_create_get_edit_delete(sim: JiraSimulator, acme: Site, http: requests.Session) -> None:
    key = create(http, sim, description=adf("hello"), labels=["a"], customfield_10050={"value": "Blue"})
    issue = http.get(rest(sim, f"/issue/{key}"), params={"expand": "changelog,names"}).json()
    assert issue["fields"]["summary"] == "A task"
    assert issue["fields"]["status"]["name"] == "Open"
    assert issue["fields"]["reporter"]["accountId"] == "admin-acme"
    assert issue["fields"]["customfield_10050"]["value"] == "Blue"
    assert issue["names"]["summary"] == "Summary"
    assert acme.stats.creates == 1 and acme.stats.writes == 1

    edit = {"fields": {"summary": "Renamed"}, "update": {"labels": [{"add": "b"}, {"remove": "a"}]}}
    assert http.put(rest(sim, f"/issue/{key}"), json=edit, params={"notifyUsers": "false"}).status_code == 204
    issue = http.get(rest(sim, f"/issue/{key}"), params={"fields": "summary,labels"}).json()
    assert issue["fields"] == {"summary": "Renamed", "labels": ["b"]}
    changes = http.get(rest(sim, f"/issue/{key}/changelog")).json()
    fields = {item["field"] for group in changes["values"] for item in group["items"]}
    assert fields == {"summary", "labels"}

    # A no-op edit changes nothing and is not counted as a write.
    writes = acme.stats.writes
    assert http.put(rest(sim, f"/issue/{key}"), json={"fields": {"summary": "Renamed"}}).status_code == 204
    assert acme.stats.writes == writes

    assert http.delete(rest(sim, f"/issue/{key}")).status_code == 204
    missing = http.get(rest(sim, f"/issue/{key}"))
    assert missing.status_code == 404
    assert missing.json()["errorMessages"] == [
        "Issue does not exist or you do not have permission to see it."
    ]


def test_create_validation_errors(sim: JiraSimulator, http: requests.Session) -> None:
    response = http.post(rest(sim, "/issue"), json={"fields": {"project": {"key": "SUP"}}})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["summary"] == "You must specify a summary of the issue."
    assert "issuetype" in errors
    bad_field = http.post(
        rest(sim, "/issue"),
        json={
            "fields": {
                "project": {"key": "SUP"},
                "issuetype": {"name": "Task"},
                "summary": "x",
                "status": "Done",
            }
        },
    )
    assert bad_field.status_code == 400
    assert "cannot be set" in bad_field.json()["errors"]["status"]
    bad_adf = http.post(
        rest(sim, "/issue"),
        json={
            "fields": {
                "project": {"key": "SUP"},
                "issuetype": {"name": "Task"},
                "summary": "x",
                "description": "plain",
            }
        },
    )
    assert bad_adf.status_code == 400
    assert "Atlassian Document" in bad_adf.json()["errors"]["description"]
    malformed = {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text"}]}],
    }
    invalid = http.post(
        rest(sim, "/issue"),
        json={
            "fields": {
                "project": {"key": "SUP"},
                "issuetype": {"name": "Task"},
                "summary": "x",
                "description": malformed,
            }
        },
    )
    assert invalid.status_code == 400 and invalid.json() == {"errorMessages": ["INVALID_INPUT"], "errors": {}}


def test_subtask_needs_parent_and_delete_needs_flag(sim: JiraSimulator, http: requests.Session) -> None:
    parent = create(http, sim)
    orphan = http.post(
        rest(sim, "/issue"),
        json={"fields": {"project": {"key": "SUP"}, "issuetype": {"name": "Sub-task"}, "summary": "child"}},
    )
    assert orphan.status_code == 400
    child = create(http, sim, issuetype={"name": "Sub-task"}, parent={"key": parent})
    assert http.get(rest(sim, f"/issue/{child}")).json()["fields"]["parent"]["key"] == parent
    assert http.delete(rest(sim, f"/issue/{parent}")).status_code == 400
    assert http.delete(rest(sim, f"/issue/{parent}"), params={"deleteSubtasks": "true"}).status_code == 204
    assert http.get(rest(sim, f"/issue/{child}")).status_code == 404


def test_transitions_require_fields(sim: JiraSimulator, http: requests.Session) -> None:
    key = create(http, sim)
    listing = http.get(rest(sim, f"/issue/{key}/transitions"), params={"expand": "transitions.fields"}).json()
    by_name = {t["name"]: t for t in listing["transitions"]}
    assert by_name["Resolve"]["to"]["name"] == "Resolved"
    assert by_name["Resolve"]["fields"]["resolution"]["required"] is True
    resolve = by_name["Resolve"]["id"]
    missing = http.post(rest(sim, f"/issue/{key}/transitions"), json={"transition": {"id": resolve}})
    assert missing.status_code == 400
    done = http.post(
        rest(sim, f"/issue/{key}/transitions"),
        json={"transition": {"id": resolve}, "fields": {"resolution": {"name": "Won't Do"}}},
    )
    assert done.status_code == 204
    fields = http.get(rest(sim, f"/issue/{key}")).json()["fields"]
    assert fields["status"]["name"] == "Resolved" and fields["resolution"]["name"] == "Won't Do"
    unavailable = http.post(
        rest(sim, f"/issue/{key}/transitions"), json={"transition": {"id": by_name["Start progress"]["id"]}}
    )
    assert unavailable.status_code == 400
    reopen = next(
        t
        for t in http.get(rest(sim, f"/issue/{key}/transitions")).json()["transitions"]
        if t["name"] == "Reopen"
    )
    assert (
        http.post(
            rest(sim, f"/issue/{key}/transitions"), json={"transition": {"id": reopen["id"]}}
        ).status_code
        == 204
    )
    assert http.get(rest(sim, f"/issue/{key}")).json()["fields"]["resolution"] is None


def test_set_workflow(sim: JiraSimulator, acme: Site, http: requests.Session) -> None:
    acme.set_workflow(
        "OPS", ["New", "Shipped"], [{"name": "Ship", "from": ["New"], "to": "Shipped", "id": "7"}]
    )
    key = create(http, sim, project={"key": "OPS"})
    transitions = http.get(rest(sim, f"/issue/{key}/transitions")).json()["transitions"]
    assert [(t["id"], t["to"]["name"]) for t in transitions] == [("7", "Shipped")]


def test_comments_crud_and_adf_validation(sim: JiraSimulator, http: requests.Session) -> None:
    key = create(http, sim)
    created = http.post(rest(sim, f"/issue/{key}/comment"), json={"body": adf("first")})
    assert created.status_code == 201
    comment = created.json()
    assert comment["author"]["accountId"] == "admin-acme"
    bad = http.post(rest(sim, f"/issue/{key}/comment"), json={"body": {"type": "doc", "content": []}})
    assert bad.status_code == 400
    assert bad.json() == {"errorMessages": [], "errors": {"comment": "Comment body is not valid!"}}
    updated = http.put(rest(sim, f"/issue/{key}/comment/{comment['id']}"), json={"body": adf("edited")})
    assert updated.status_code == 200
    assert updated.json()["body"]["content"][0]["content"][0]["text"] == "edited"
    listing = http.get(rest(sim, f"/issue/{key}/comment")).json()
    assert listing["total"] == 1
    assert http.delete(rest(sim, f"/issue/{key}/comment/{comment['id']}")).status_code == 204
    assert http.get(rest(sim, f"/issue/{key}/comment/{comment['id']}")).status_code == 404


def test_attachments(sim: JiraSimulator, acme: Site, http: requests.Session) -> None:
    key = create(http, sim)
    url = rest(sim, f"/issue/{key}/attachments")
    assert http.post(url, files={"file": ("a.txt", b"data")}).status_code == 403
    uploaded = http.post(
        url, files={"file": ("a.txt", b"data", "text/plain")}, headers={"X-Atlassian-Token": "no-check"}
    )
    assert uploaded.status_code == 200
    meta = uploaded.json()[0]
    assert meta["filename"] == "a.txt" and meta["size"] == 4
    content = http.get(rest(sim, f"/attachment/content/{meta['id']}"))
    assert content.content == b"data"
    assert content.history[0].status_code == 303
    assert "/_media/" in content.history[0].headers["Location"]
    assert requests.get(content.url.replace("token=", "token=0"), timeout=5).status_code == 401
    acme.configure(attachment_size_limit=10)
    big = http.post(url, files={"file": ("b.bin", b"x" * 11)}, headers={"X-Atlassian-Token": "no-check"})
    assert big.status_code == 413
    assert http.delete(rest(sim, f"/attachment/{meta['id']}")).status_code == 204
    assert http.get(rest(sim, f"/attachment/{meta['id']}")).status_code == 404


def test_properties_and_remote_links(sim: JiraSimulator, http: requests.Session) -> None:
    key = create(http, sim)
    prop = rest(sim, f"/issue/{key}/properties/tandem.origin")
    assert http.put(prop, json={"site": "globex", "key": "DEV-1"}).status_code == 201
    assert http.put(prop, json={"site": "globex", "key": "DEV-2"}).status_code == 200
    assert http.get(prop).json() == {"key": "tandem.origin", "value": {"site": "globex", "key": "DEV-2"}}
    assert [k["key"] for k in http.get(rest(sim, f"/issue/{key}/properties")).json()["keys"]] == [
        "tandem.origin"
    ]
    found = http.post(
        rest(sim, "/search/jql"),
        json={"jql": 'issue.property[tandem.origin].key = "DEV-2"', "fields": ["key"]},
    )
    assert [i["key"] for i in found.json()["issues"]] == [key]
    assert http.delete(prop).status_code == 204
    assert http.get(prop).status_code == 404

    links = rest(sim, f"/issue/{key}/remotelink")
    link: dict[str, Any] = {
        "globalId": "tandem:DEV-1",
        "object": {"url": "https://globex/DEV-1", "title": "DEV-1"},
    }
    first = http.post(links, json=link)
    assert first.status_code == 201
    link["object"]["title"] = "DEV-1 renamed"
    again = http.post(links, json=link)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert [lnk["object"]["title"] for lnk in http.get(links).json()] == ["DEV-1 renamed"]
    assert http.delete(f"{links}/{first.json()['id']}").status_code == 204
    assert http.get(links).json() == []


def test_users_and_hidden_email(sim: JiraSimulator) -> None:
    globex = sim.site("globex")
    with requests.Session() as session:
        session.auth = (globex.admin_email, globex.admin_api_token)
        users = session.get(rest(sim, "/user/search", "globex"), params={"query": "bob"}).json()
        assert len(users) == 1 and "emailAddress" not in users[0]
        by_email = session.get(
            rest(sim, "/user/search", "globex"), params={"query": "bob@example.com"}
        ).json()
        assert [u["displayName"] for u in by_email] == ["Bob Brown"] and "emailAddress" not in by_email[0]
        assert session.get(rest(sim, "/user/search", "globex"), params={"query": "bob@exa"}).json() == []
        alice = session.get(rest(sim, "/user/search", "globex"), params={"query": "alice@example.com"}).json()
        assert alice[0]["emailAddress"] == "alice@example.com"
        one = session.get(rest(sim, "/user", "globex"), params={"accountId": alice[0]["accountId"]})
        assert one.json()["displayName"] == "Alice Anders"
        assert session.get(rest(sim, "/user", "globex"), params={"accountId": "nobody"}).status_code == 404
        everyone = session.get(rest(sim, "/users/search", "globex")).json()
        assert {u["displayName"] for u in everyone} == {"Globex Admin", "Alice Anders", "Bob Brown"}
    assert sim.site("acme").users != globex.users


def test_search_pagination_over_250_issues(sim: JiraSimulator, acme: Site, http: requests.Session) -> None:
    for index in range(250):
        acme.create_issue_as("admin-acme", {"project": "SUP", "summary": f"issue {index}"})
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {
            "jql": "project = SUP ORDER BY created ASC, key ASC",
            "maxResults": 100,
            "fields": "summary",
        }
        if token:
            params["nextPageToken"] = token
        page = http.get(rest(sim, "/search/jql"), params=params).json()
        pages += 1
        seen += [issue["key"] for issue in page["issues"]]
        if page["isLast"]:
            assert "nextPageToken" not in page
            break
        token = page["nextPageToken"]
    assert pages == 3
    assert seen == [f"SUP-{n}" for n in range(1, 251)]
    capped_params: dict[str, Any] = {"jql": "project = SUP", "maxResults": 1000, "fields": "summary"}
    capped = http.get(rest(sim, "/search/jql"), params=capped_params)
    assert len(capped.json()["issues"]) == 100
    ids_params: dict[str, Any] = {"jql": "project = SUP", "maxResults": 1000}
    ids_only = http.get(rest(sim, "/search/jql"), params=ids_params)
    assert len(ids_only.json()["issues"]) == 250
    count = http.post(rest(sim, "/search/approximate-count"), json={"jql": "project = SUP"})
    assert count.json() == {"count": 250}


def test_search_errors_and_old_endpoint(sim: JiraSimulator, http: requests.Session) -> None:
    bad = http.get(rest(sim, "/search/jql"), params={"jql": "project = = SUP"})
    assert bad.status_code == 400
    assert bad.json()["errorMessages"][0].startswith("Error in the JQL Query:")
    gone = http.get(rest(sim, "/search"), params={"jql": "project = SUP"})
    assert gone.status_code == 410
    assert "/rest/api/3/search/jql" in gone.json()["errorMessages"][0]
    token = http.get(rest(sim, "/search/jql"), params={"jql": "project = SUP", "nextPageToken": "garbage"})
    assert token.status_code == 400


def test_bulkfetch_and_metadata(sim: JiraSimulator, http: requests.Session) -> None:
    key = create(http, sim)
    bulk = http.post(
        rest(sim, "/issue/bulkfetch"), json={"issueIdsOrKeys": [key, "SUP-999"], "fields": ["summary"]}
    )
    assert [i["key"] for i in bulk.json()["issues"]] == [key]
    assert bulk.json()["issueErrors"] == []
    assert {p["key"] for p in http.get(rest(sim, "/project")).json()} == {"SUP", "OPS"}
    assert {t["name"] for t in http.get(rest(sim, "/issuetype")).json()} >= {"Task", "Bug", "Sub-task"}
    assert [p["name"] for p in http.get(rest(sim, "/priority")).json()] == [
        "Highest",
        "High",
        "Medium",
        "Low",
        "Lowest",
    ]
    field_ids = {f["id"] for f in http.get(rest(sim, "/field")).json()}
    assert {"customfield_10042", "customfield_10016", "customfield_10050"} <= field_ids
    meta = http.get(rest(sim, "/issue/createmeta/SUP/issuetypes/10001")).json()
    assert {f["fieldId"] for f in meta["fields"]} >= {"summary", "customfield_10050"}


def test_create_with_properties_is_atomic_and_searchable(sim: JiraSimulator, http: requests.Session) -> None:
    body = {
        "fields": {"project": {"key": "SUP"}, "issuetype": {"name": "Task"}, "summary": "twin"},
        "properties": [{"key": "tandem", "value": {"origin": "globex:DEV-9"}}],
    }
    key = http.post(rest(sim, "/issue"), json=body).json()["key"]
    found = http.get(
        rest(sim, "/search/jql"), params={"jql": 'issue.property[tandem].origin = "globex:DEV-9"'}
    )
    assert [i["key"] for i in found.json()["issues"]] == [key]
    fetched = http.get(
        rest(sim, f"/issue/{key}"), params={"properties": "tandem", "fields": "summary"}
    ).json()
    assert fetched["properties"] == {"tandem": {"origin": "globex:DEV-9"}}


def test_helpers_fire_like_rest_but_only_rest_counts_writes(
    sim: JiraSimulator, acme: Site, http: requests.Session
) -> None:
    alice = acme.user_by_email("alice@example.com")
    assert alice is not None
    issue = acme.create_issue_as(
        alice.account_id, {"project": "SUP", "summary": "by alice", "description": "text"}
    )
    acme.add_comment_as(alice.account_id, issue.key, "hello")
    acme.update_issue_as(alice.account_id, issue.key, {"labels": ["x"]})
    acme.transition_as(alice.account_id, issue.key, "Resolved")
    assert acme.stats.writes == 0 and acme.stats.creates == 0
    fetched = http.get(rest(sim, f"/issue/{issue.key}"), params={"expand": "changelog"}).json()
    assert fetched["fields"]["reporter"]["accountId"] == alice.account_id
    assert fetched["fields"]["status"]["name"] == "Resolved"
    assert fetched["fields"]["comment"]["comments"][0]["author"]["accountId"] == alice.account_id
    authors = {h["author"]["accountId"] for h in fetched["changelog"]["histories"]}
    assert authors == {alice.account_id}
    acme.delete_issue_as(alice.account_id, issue.key)
    assert http.get(rest(sim, f"/issue/{issue.key}")).status_code == 404


def test_v2_alias_uses_plain_text_bodies(sim: JiraSimulator, acme: Site, http: requests.Session) -> None:
    issue = acme.create_issue_as("admin-acme", {"project": "SUP", "summary": "v2", "description": "line one"})
    v2 = f"{sim.base_url('acme')}/rest/api/2/issue/{issue.key}"
    assert http.get(v2).json()["fields"]["description"] == "line one"
    assert http.post(f"{v2}/comment", json={"body": "plain"}).json()["body"] == "plain"
    assert acme.issue(issue.key).comments[0].body["type"] == "doc"


def test_concurrent_creates_get_unique_keys(sim: JiraSimulator, acme: Site) -> None:
    import threading

    keys: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        with requests.Session() as session:
            session.auth = (acme.admin_email, acme.admin_api_token)
            for _ in range(15):
                key = create(session, sim)
                with lock:
                    keys.append(key)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 120
    assert acme.stats.creates == 120 and acme.stats.calls["createIssue"] == 120


def test_assignee_statuses_and_transition_filter(sim: JiraSimulator, http: requests.Session) -> None:
    key = create(http, sim)
    assert http.put(rest(sim, f"/issue/{key}/assignee"), json={"accountId": "admin-acme"}).status_code == 204
    assert http.get(rest(sim, f"/issue/{key}")).json()["fields"]["assignee"]["accountId"] == "admin-acme"
    assert http.put(rest(sim, f"/issue/{key}/assignee"), json={"accountId": "ghost"}).status_code == 400
    assert http.put(rest(sim, f"/issue/{key}/assignee"), json={"accountId": None}).status_code == 204
    assert http.get(rest(sim, f"/issue/{key}")).json()["fields"]["assignee"] is None
    statuses = http.get(rest(sim, "/project/SUP/statuses")).json()
    assert [s["name"] for s in statuses[0]["statuses"]][:2] == ["Open", "In Progress"]
    only = http.get(rest(sim, f"/issue/{key}/transitions"), params={"transitionId": "11"}).json()
    assert [t["id"] for t in only["transitions"]] == ["11"]


def test_helper_shorthands(acme: Site) -> None:
    parent = acme.create_issue_as("admin-acme", {"project": "SUP", "summary": "parent"})
    child = acme.create_issue_as(
        "admin-acme",
        {
            "project": "SUP",
            "issuetype": "Sub-task",
            "parent": parent.key,
            "summary": "child",
            "priority": "High",
            "assignee": "alice@example.com",
            "customfield_10050": "Green",
        },
    )
    alice = acme.user_by_email("alice@example.com")
    assert alice is not None
    assert child.fields["assignee"] == alice.account_id and child.fields["parent"] == parent.id
    assert child.fields["priority"] == "2" and child.fields["customfield_10050"] == "10102"
    acme.update_issue_as("admin-acme", child.key, {"assignee": None, "priority": "Low"})
    assert child.fields["assignee"] is None and child.fields["priority"] == "4"
