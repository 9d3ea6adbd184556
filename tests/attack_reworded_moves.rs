//! AI text moved and reworded at once, by a person's commit (red team): the
//! AI's function goes to another file, or elsewhere in its file, with a
//! comment put at the end of every line or a variable renamed on each. A
//! move alone is caught (the text comes back whitespace aside), and so is
//! rewording in place (the hunk replaced AI lines); both at once left no
//! line equal to the AI's, and `vouch verify` passed the function as of
//! unknown origin. AI origin is sticky through both: a block of lines
//! shaped as removed AI text (the same words and signs in the same order,
//! names and trailing comments aside) is that text, moved.
//!
//! Real binary, real git, the trailer as the AI evidence.

mod support {
    pub mod run;
    pub mod world;
}

use support::world::*;

const POLICY: &str = "reviewers = [\"alice@example.com\", \"bob@example.com\"]\n";

const TOOL_PY: &str = "import subprocess\n\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n    \
                       log = open(\"/tmp/ran\", \"a\")\n    log.write(cmd)\n    return \"ran \" + cmd\n";

const ADD_RS: &str = "pub fn add(a: u32, b: u32) -> u32 {\n    let total = a + b;\n    \
                      let doubled = total * 2;\n    doubled - total\n}\n";

/// A feature branch of a clone whose first commit, with Claude's trailer,
/// writes `files`.
fn ai_branch(files: &[(&str, &str)]) -> (World, Clone) {
    let world = World::new(POLICY);
    let a = world.clone_as("a", "dev");
    a.git(&["checkout", "-q", "-b", "feature"]);
    for (path, text) in files {
        a.write(path, text);
    }
    a.commit("the agent's work", Some(TRAILER));
    (world, a)
}

/// What `vouch verify origin/main..HEAD` fails, as (path, unit name).
fn failed(a: &Clone) -> Vec<(String, String)> {
    let (code, report) = a.verify("origin/main..HEAD");
    let out: Vec<(String, String)> = failures(&report)
        .iter()
        .map(|f| (f["path"].as_str().unwrap_or("").to_string(), f["name"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(code, if out.is_empty() { 0 } else { 1 }, "{report:#}");
    out
}

fn pair(path: &str, name: &str) -> (String, String) {
    (path.to_string(), name.to_string())
}

/// A comment put at the end of every line (`  #`).
fn commented(text: &str, mark: &str) -> String {
    text.lines().map(|l| if l.trim().is_empty() { format!("{l}\n") } else { format!("{l}  {mark}\n") }).collect()
}

#[test]
fn ai_code_moved_to_another_file_with_a_comment_on_every_line_stays_ai() {
    let (_world, a) = ai_branch(&[("src/tool.py", TOOL_PY)]);
    // The import is a unit of its own.
    assert_eq!(failed(&a), [pair("src/tool.py", ""), pair("src/tool.py", "run")]);
    a.git(&["rm", "-q", "src/tool.py"]);
    a.write("src/util.py", &commented(TOOL_PY, "#"));
    a.commit("move tool to util", None);
    // (`import subprocess  #` alone is too plain to tell by its shape.)
    assert_eq!(failed(&a), [pair("src/util.py", "run")], "the function moved, reworded, is still the AI's");
}

#[test]
fn ai_code_moved_with_a_variable_renamed_stays_ai() {
    // `total`, on every line of the body.
    let renamed = ADD_RS.replace("total", "sum");
    // Within its file: to the top, above the function BASE has.
    let (_world, a) = ai_branch(&[("src/lib.rs", &format!("{BASE_LIB}\n{ADD_RS}"))]);
    a.write("src/lib.rs", &format!("{renamed}\n{BASE_LIB}"));
    a.commit("tidy", None);
    assert_eq!(failed(&a), [pair("src/lib.rs", "add")]);
    // To another file.
    let (_world, b) = ai_branch(&[("src/lib.rs", &format!("{BASE_LIB}\n{ADD_RS}"))]);
    b.write("src/lib.rs", BASE_LIB);
    b.write("src/other.rs", &renamed);
    b.commit("move add", None);
    assert_eq!(failed(&b), [pair("src/other.rs", "add")]);
    // Over two commits: removed in one, written back reworded in the next.
    let (_world, c) = ai_branch(&[("src/lib.rs", &format!("{BASE_LIB}\n{ADD_RS}"))]);
    c.write("src/lib.rs", BASE_LIB);
    c.commit("drop add", None);
    assert_eq!(failed(&c), Vec::<(String, String)>::new(), "nothing AI is left");
    c.write("src/other.rs", &commented(&renamed, "//"));
    c.commit("add, again", None);
    assert_eq!(failed(&c), [pair("src/other.rs", "add")]);
}

#[test]
fn reworded_copies_made_before_the_ai_lines_were_removed_are_ai() {
    // Each AI line gets a reworded copy below it; the next commit removes
    // the originals.
    let (_world, a) = ai_branch(&[("src/tool.py", TOOL_PY)]);
    let doubled: String = TOOL_PY
        .lines()
        .map(|l| if l.trim().is_empty() { format!("{l}\n") } else { format!("{l}\n{l}  #\n") })
        .collect();
    a.write("src/tool.py", &doubled);
    a.commit("annotate", None);
    a.write("src/tool.py", &commented(TOOL_PY, "#"));
    a.commit("drop the old lines", None);
    assert_eq!(failed(&a), [pair("src/tool.py", "run")]);
}

const RUN: &str = "def run(cmd, cwd=None):\n    args = shlex.split(cmd)\n    \
                   proc = subprocess.run(args, cwd=cwd, capture_output=True)\n    if proc.returncode != 0:\n        \
                   raise RuntimeError(proc.stderr.decode())\n    return proc.stdout.decode()\n";
const RUN_SHELL: &str = "def run_shell(cmd, env=None):\n    result = subprocess.call(cmd, shell=True, env=env)\n    \
                         log_line = 'ran ' + cmd\n    print(log_line, flush=True)\n    return result\n";
const HEADER: &str = "import subprocess\nimport shlex\n\n\n";

/// Red team, second round: the functions of one AI file moved reworded
/// but in another order, or split between two files, or into a file whose
/// own code is shaped much like them, each passed.
#[test]
fn ai_functions_moved_reworded_in_another_order_or_split_or_among_lookalikes_stay_ai() {
    let tools = format!("{HEADER}{RUN}\n\n{RUN_SHELL}");
    let (_world, a) = ai_branch(&[("src/tool.py", &tools)]);
    a.git(&["rm", "-q", "src/tool.py"]);
    a.write("src/util.py", &commented(&format!("{HEADER}{RUN_SHELL}\n\n{RUN}"), "#"));
    a.commit("move, the other way round", None);
    assert_eq!(failed(&a), [pair("src/util.py", "run_shell"), pair("src/util.py", "run")]);

    let (_world, b) = ai_branch(&[("src/tool.py", &tools)]);
    b.git(&["rm", "-q", "src/tool.py"]);
    b.write("src/run.py", &commented(&format!("{HEADER}{RUN}"), "#"));
    b.write("src/shell.py", &commented(&format!("{HEADER}{RUN_SHELL}"), "#"));
    b.commit("split", None);
    assert_eq!(failed(&b), [pair("src/run.py", "run"), pair("src/shell.py", "run_shell")]);

    // A file of the person's whose lines are shaped like the function's.
    let config = "import os\nimport json\n\n\ndef load_config(path):\n    text = open(path).read()\n    \
                  data = json.loads(text)\n    if data.version != 2:\n        raise ValueError(data.error)\n    \
                  return data.settings.copy()\n\n\ndef save_config(path, data):\n    text = json.dumps(data)\n    \
                  if data.version != 2:\n        raise ValueError(data.error)\n    return data.settings.copy()\n";
    let world = World::new(POLICY);
    world.on_main(&[("src/config.py", config)]);
    let c = world.clone_as("c", "dev");
    c.git(&["checkout", "-q", "-b", "feature"]);
    c.write("src/tool.py", &format!("{HEADER}{RUN}"));
    c.commit("the agent's work", Some(TRAILER));
    c.git(&["rm", "-q", "src/tool.py"]);
    c.write("src/config.py", &format!("{config}\n\n{}", commented(RUN, "#")));
    c.commit("move run into config", None);
    assert_eq!(failed(&c), [pair("src/config.py", "run")]);
}

#[test]
fn a_persons_own_code_written_where_ai_code_was_removed_stays_theirs() {
    // The person removes the AI's function and writes another of their own
    // in another file (in its place, it would be the AI's rewritten): some
    // of its lines are shaped alike (`let x = y ...;`), not the block.
    let (_world, a) = ai_branch(&[("src/lib.rs", &format!("{BASE_LIB}\n{ADD_RS}"))]);
    let own = "pub fn sum(a: u32, b: u32) -> u32 {\n    let total = a * b;\n    \
               let mut out = Vec::with_capacity(n);\n    for x in v {\n        out.push(x * k);\n    }\n    total\n}\n";
    a.write("src/lib.rs", BASE_LIB);
    a.write("src/scale.rs", own);
    a.commit("replace add with sum", None);
    assert_eq!(failed(&a), Vec::<(String, String)>::new());
    // Nor is a lone line of the same shape as an AI line, in code of the
    // person's own.
    let (_world, b) = ai_branch(&[("src/tool.py", TOOL_PY)]);
    b.git(&["rm", "-q", "src/tool.py"]);
    b.write(
        "src/notes.py",
        "def note(text):\n    print(text)\n    out = open(\"/tmp/notes\", \"w\")\n    return len(text)\n",
    );
    b.commit("notes", None);
    assert_eq!(failed(&b), Vec::<(String, String)>::new());
    // Red team, second round: a test of the person's, shaped like the AI's
    // test it replaces (another endpoint, another method); and the
    // person's lookup idiom that the AI had written, and rewritten away,
    // for another table.
    let ai_test = "def test_create_user(client):\n    resp = client.post('/users', json={'name': 'a'})\n    \
                   assert resp.status_code == 201\n    assert resp.json()['name'] == 'a'\n";
    let (_world, c) = ai_branch(&[("tests/test_api.py", ai_test)]);
    c.git(&["rm", "-q", "tests/test_api.py"]);
    c.write(
        "tests/test_orders.py",
        "def test_list_orders(client):\n    resp = client.get('/orders', params={'page': '2'})\n    \
         assert resp.status_code == 200\n    assert resp.json()['page'] == '2'\n",
    );
    c.commit("a test of my own", None);
    assert_eq!(failed(&c), Vec::<(String, String)>::new());
    let lookup = "def get_user(db, user_id):\n    user = db.get(user_id)\n    if user is None:\n        \
                  raise NotFound(user_id)\n    return user\n";
    let (_world, d) = ai_branch(&[("src/users.py", lookup)]);
    d.write("src/users.py", "def get_user(db, user_id):\n    return db.get_or_404(user_id)\n");
    d.commit("use get_or_404", Some(TRAILER));
    let (code, _) = d.verify("origin/main..HEAD");
    assert_eq!(code, 1, "the AI's function itself");
    d.write(
        "src/orders.py",
        "def cancel_order(db, order_id):\n    order = db.get(order_id)\n    if order is None:\n        \
         raise NotFound(order_id)\n    order.cancel()\n",
    );
    d.commit("cancel_order", None);
    assert_eq!(failed(&d), [pair("src/users.py", "get_user")], "not the person's cancel_order");
}
