"""Hostile programs, one per (language, attack), for the sandbox tests.

Placeholders ``MARKER_PATH`` and ``MARKER_DIR`` are replaced by the test with a host file and its
directory (both world-writable: only the sandbox keeps them safe). Programs that probe a boundary
exit 3 and print ``BLOCKED``/``CONTAINED`` when the boundary held, and exit 0 naming what got through
otherwise, so a result can't be mistaken for a crash.
"""

ATTACKS = ("loop", "forkbomb", "memhog", "diskfill", "network", "escape", "killparent")

PY = {
    "loop": "while True:\n    pass\n",
    "forkbomb": "import os\nwhile True:\n    os.fork()\n",
    "memhog": "hog = []\nwhile True:\n    hog.append(b'x' * (16 << 20))\n",
    "diskfill": ("import os\nn = 0\nwhile True:\n    with open(f'fill{n}.bin', 'wb') as f:\n"
                 "        for _ in range(8):\n            f.write(b'x' * (1 << 20))\n    n += 1\n"),
    "network": ("import socket, sys\nok = []\nfor host in ['1.1.1.1', '8.8.8.8', '10.0.0.1']:\n"
                "    try:\n        socket.create_connection((host, 53), timeout=1).close()\n        ok.append(host)\n"
                "    except OSError:\n        pass\ntry:\n    socket.getaddrinfo('example.com', 80)\n    ok.append('dns')\n"
                "except OSError:\n    pass\nprint('REACHED', ok) if ok else print('BLOCKED')\nsys.exit(0 if ok else 3)\n"),
    "escape": ("import os, sys\nhits = []\ndef attempt(name, fn):\n    try:\n        fn()\n        hits.append(name)\n"
               "    except OSError:\n        pass\n"
               "attempt('delete', lambda: os.remove('MARKER_PATH'))\n"
               "attempt('overwrite', lambda: open('MARKER_PATH', 'w').write('pwned'))\n"
               "attempt('create', lambda: open('MARKER_DIR/new.txt', 'w').write('x'))\n"
               "attempt('etc', lambda: open('/etc/sandbox_probe', 'w').write('x'))\n"
               "attempt('own_source', lambda: os.remove('/tmp/src/main.py'))\n"
               "print('ESCAPED', hits) if hits else print('CONTAINED')\nsys.exit(0 if hits else 3)\n"),
    "killparent": ("import os, signal, time\nfor pid in (os.getppid(), 1):\n    try:\n        os.kill(pid, signal.SIGKILL)\n"
                   "    except OSError:\n        pass\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n    pass\n"
                   "time.sleep(0.2)\nprint('still here')\n"),
}

_JS_NET = """
const hosts = ["1.1.1.1", "8.8.8.8", "10.0.0.1"];
let pending = hosts.length;
const ok = [];
for (const h of hosts) {
  const s = net.connect({ host: h, port: 53 });
  let settled = false;
  const done = (good) => {
    if (settled) return;
    settled = true;
    if (good) ok.push(h);
    s.destroy();
    if (--pending === 0) {
      console.log(ok.length ? "REACHED " + ok.join(",") : "BLOCKED");
      process.exit(ok.length ? 0 : 3);
    }
  };
  s.setTimeout(1000);
  s.once("connect", () => done(true));
  s.once("error", () => done(false));
  s.once("timeout", () => done(false));
}
"""
_JS_ESCAPE = """
const hits = [];
const attempt = (name, fn) => { try { fn(); hits.push(name); } catch (e) {} };
attempt("delete", () => fs.unlinkSync("MARKER_PATH"));
attempt("overwrite", () => fs.writeFileSync("MARKER_PATH", "pwned"));
attempt("create", () => fs.writeFileSync("MARKER_DIR/new.txt", "x"));
attempt("etc", () => fs.writeFileSync("/etc/sandbox_probe", "x"));
attempt("own_source", () => fs.unlinkSync(SELF));
console.log(hits.length ? "ESCAPED " + hits.join(",") : "CONTAINED");
process.exit(hits.length ? 0 : 3);
"""
_JS_KILL = """
for (const pid of [process.ppid, 1, -1]) { try { process.kill(pid, "SIGKILL"); } catch (e) {} }
setTimeout(() => console.log("still here"), 200);
"""

JS = {
    "loop": "while (true) {}\n",
    "forkbomb": ('const { spawn } = require("child_process");\n'
                 'while (true) { try { spawn(process.execPath, [__filename], { detached: true, stdio: "ignore" }); } catch (e) {} }\n'),
    "memhog": "const hog = [];\nwhile (true) { hog.push(Buffer.alloc(16 << 20, 1)); }\n",
    "diskfill": ('const fs = require("fs");\nconst b = Buffer.alloc(1 << 20, 120);\nlet n = 0;\n'
                 'while (true) { const fd = fs.openSync("fill" + n++ + ".bin", "w");\n'
                 '  for (let i = 0; i < 8; i++) fs.writeSync(fd, b);\n  fs.closeSync(fd); }\n'),
    "network": 'const net = require("net");\n' + _JS_NET,
    "escape": 'const fs = require("fs");\nconst SELF = "/tmp/src/main.js";\n' + _JS_ESCAPE,
    "killparent": _JS_KILL,
}

TS = {
    "loop": "let i: number = 0;\nwhile (true) { i++; }\n",
    "forkbomb": ('const { spawn } = require("child_process");\n'
                 'while (true) { try { spawn(process.execPath, [__filename], { detached: true, stdio: "ignore" }); } catch (e) {} }\n'),
    "memhog": "const hog: Buffer[] = [];\nwhile (true) { hog.push(Buffer.alloc(16 << 20, 1)); }\n",
    "diskfill": JS["diskfill"],
    "network": 'const net = require("net");\n' + _JS_NET.replace("const ok = [];", "const ok: string[] = [];")
                                                        .replace("(good) =>", "(good: boolean) =>"),
    "escape": ('const fs = require("fs");\nconst SELF: string = "/tmp/src/main.ts";\n'
               + _JS_ESCAPE.replace("const hits = [];", "const hits: string[] = [];")
                           .replace("(name, fn)", "(name: string, fn: () => void)")),
    "killparent": _JS_KILL,
}

_JAVA_HEAD = "import java.io.*;\nimport java.net.*;\nimport java.nio.file.*;\nimport java.util.*;\n\npublic class Main {\n"
JAVA = {
    "loop": _JAVA_HEAD + "  public static void main(String[] a) { long i = 0; while (true) { i++; } }\n}\n",
    "forkbomb": _JAVA_HEAD + ("  public static void main(String[] a) throws Exception {\n"
                              "    String java = System.getProperty(\"java.home\") + \"/bin/java\";\n"
                              "    while (true) { new ProcessBuilder(java, \"-cp\", \"/tmp/src\", \"Main\").start(); }\n  }\n}\n"),
    "memhog": _JAVA_HEAD + ("  public static void main(String[] a) {\n    List<long[]> hog = new ArrayList<>();\n"
                            "    while (true) { long[] b = new long[1 << 21]; Arrays.fill(b, 1L); hog.add(b); }\n  }\n}\n"),
    "diskfill": _JAVA_HEAD + ("  public static void main(String[] a) throws Exception {\n    byte[] b = new byte[1 << 20];\n"
                              "    for (int n = 0; ; n++) { try (FileOutputStream f = new FileOutputStream(\"fill\" + n + \".bin\")) {\n"
                              "      for (int i = 0; i < 8; i++) f.write(b); } }\n  }\n}\n"),
    "network": _JAVA_HEAD + ("  public static void main(String[] a) {\n    List<String> ok = new ArrayList<>();\n"
                             "    for (String h : new String[] {\"1.1.1.1\", \"8.8.8.8\", \"10.0.0.1\"}) {\n"
                             "      try (Socket s = new Socket()) { s.connect(new InetSocketAddress(h, 53), 1000); ok.add(h); }\n"
                             "      catch (Exception e) {}\n    }\n"
                             "    System.out.println(ok.isEmpty() ? \"BLOCKED\" : \"REACHED \" + ok);\n"
                             "    System.exit(ok.isEmpty() ? 3 : 0);\n  }\n}\n"),
    "escape": _JAVA_HEAD + ("  interface Op { void run() throws Exception; }\n  static List<String> hits = new ArrayList<>();\n"
                            "  static void attempt(String n, Op op) { try { op.run(); hits.add(n); } catch (Exception e) {} }\n"
                            "  public static void main(String[] a) {\n"
                            "    attempt(\"delete\", () -> Files.delete(Paths.get(\"MARKER_PATH\")));\n"
                            "    attempt(\"overwrite\", () -> Files.write(Paths.get(\"MARKER_PATH\"), \"pwned\".getBytes()));\n"
                            "    attempt(\"create\", () -> Files.write(Paths.get(\"MARKER_DIR/new.txt\"), \"x\".getBytes()));\n"
                            "    attempt(\"etc\", () -> Files.write(Paths.get(\"/etc/sandbox_probe\"), \"x\".getBytes()));\n"
                            "    attempt(\"own_source\", () -> Files.delete(Paths.get(\"/tmp/src/Main.java\")));\n"
                            "    System.out.println(hits.isEmpty() ? \"CONTAINED\" : \"ESCAPED \" + hits);\n"
                            "    System.exit(hits.isEmpty() ? 3 : 0);\n  }\n}\n"),
    "killparent": _JAVA_HEAD + ("  public static void main(String[] a) throws Exception {\n"
                                "    ProcessHandle.current().parent().ifPresent(p -> p.destroyForcibly());\n"
                                "    try { new ProcessBuilder(\"kill\", \"-9\", \"-1\").start().waitFor(); } catch (Exception e) {}\n"
                                "    Thread.sleep(200);\n    System.out.println(\"still here\");\n  }\n}\n"),
}

_CS_HEAD = ("using System;\nusing System.Collections.Generic;\nusing System.Diagnostics;\nusing System.IO;\n"
            "using System.Net.Sockets;\n\nclass Program {\n")
CSHARP = {
    "loop": _CS_HEAD + "  static void Main() { long i = 0; while (true) { i++; } }\n}\n",
    "forkbomb": _CS_HEAD + ("  static void Main() {\n    while (true) {\n"
                            "      var si = new ProcessStartInfo(\"/usr/bin/mono\", \"/tmp/src/main.exe\");\n"
                            "      si.UseShellExecute = false;\n      Process.Start(si);\n    }\n  }\n}\n"),
    "memhog": _CS_HEAD + ("  static void Main() {\n    var hog = new List<byte[]>();\n"
                          "    while (true) { var b = new byte[16 << 20]; for (int i = 0; i < b.Length; i += 4096) b[i] = 1; hog.Add(b); }\n"
                          "  }\n}\n"),
    "diskfill": _CS_HEAD + ("  static void Main() {\n    var b = new byte[1 << 20];\n"
                            "    for (int n = 0; ; n++) { using (var f = File.Create(\"fill\" + n + \".bin\")) {\n"
                            "      for (int i = 0; i < 8; i++) f.Write(b, 0, b.Length); } }\n  }\n}\n"),
    "network": _CS_HEAD + ("  static void Main() {\n    var ok = new List<string>();\n"
                           "    foreach (var h in new[] { \"1.1.1.1\", \"8.8.8.8\", \"10.0.0.1\" }) {\n"
                           "      try { var c = new TcpClient(); if (c.ConnectAsync(h, 53).Wait(1000) && c.Connected) ok.Add(h); }\n"
                           "      catch (Exception) {}\n    }\n"
                           "    Console.WriteLine(ok.Count == 0 ? \"BLOCKED\" : \"REACHED \" + string.Join(\",\", ok));\n"
                           "    Environment.Exit(ok.Count == 0 ? 3 : 0);\n  }\n}\n"),
    "escape": _CS_HEAD + ("  static List<string> hits = new List<string>();\n"
                          "  static void Attempt(string n, Action op) { try { op(); hits.Add(n); } catch (Exception) {} }\n"
                          "  static void Main() {\n"
                          "    Attempt(\"delete\", () => { if (!File.Exists(\"MARKER_PATH\")) throw new Exception(); File.Delete(\"MARKER_PATH\"); });\n"
                          "    Attempt(\"overwrite\", () => File.WriteAllText(\"MARKER_PATH\", \"pwned\"));\n"
                          "    Attempt(\"create\", () => File.WriteAllText(\"MARKER_DIR/new.txt\", \"x\"));\n"
                          "    Attempt(\"etc\", () => File.WriteAllText(\"/etc/sandbox_probe\", \"x\"));\n"
                          "    Attempt(\"own_source\", () => File.Delete(\"/tmp/src/Program.cs\"));\n"
                          "    Console.WriteLine(hits.Count == 0 ? \"CONTAINED\" : \"ESCAPED \" + string.Join(\",\", hits));\n"
                          "    Environment.Exit(hits.Count == 0 ? 3 : 0);\n  }\n}\n"),
    "killparent": _CS_HEAD + ("  static void Main() {\n"
                              "    var stat = File.ReadAllText(\"/proc/self/stat\");\n"
                              "    int ppid = int.Parse(stat.Substring(stat.LastIndexOf(')') + 2).Split(' ')[1]);\n"
                              "    try { Process.GetProcessById(ppid).Kill(); } catch (Exception) {}\n"
                              "    try { var si = new ProcessStartInfo(\"kill\", \"-9 -1\"); si.UseShellExecute = false;\n"
                              "      Process.Start(si).WaitForExit(); } catch (Exception) {}\n"
                              "    System.Threading.Thread.Sleep(200);\n    Console.WriteLine(\"still here\");\n  }\n}\n"),
}

GO = {
    "loop": "package main\n\nfunc main() {\n\ti := 0\n\tfor {\n\t\ti++\n\t}\n}\n",
    "forkbomb": ("package main\n\nimport \"os/exec\"\n\nfunc main() {\n\tfor {\n"
                 "\t\t_ = exec.Command(\"/proc/self/exe\").Start()\n\t}\n}\n"),
    "memhog": ("package main\n\nfunc main() {\n\tvar hog [][]byte\n\tfor {\n\t\tb := make([]byte, 16<<20)\n"
               "\t\tfor i := range b {\n\t\t\tb[i] = 1\n\t\t}\n\t\thog = append(hog, b)\n\t}\n}\n"),
    "diskfill": ("package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tb := make([]byte, 1<<20)\n"
                 "\tfor n := 0; ; n++ {\n\t\tf, err := os.Create(fmt.Sprintf(\"fill%d.bin\", n))\n\t\tif err != nil {\n\t\t\tpanic(err)\n\t\t}\n"
                 "\t\tfor i := 0; i < 8; i++ {\n\t\t\tif _, err := f.Write(b); err != nil {\n\t\t\t\tpanic(err)\n\t\t\t}\n\t\t}\n"
                 "\t\tf.Close()\n\t}\n}\n"),
    "network": ("package main\n\nimport (\n\t\"fmt\"\n\t\"net\"\n\t\"os\"\n\t\"time\"\n)\n\nfunc main() {\n\tvar ok []string\n"
                "\tfor _, h := range []string{\"1.1.1.1\", \"8.8.8.8\", \"10.0.0.1\"} {\n"
                "\t\tif c, err := net.DialTimeout(\"tcp\", h+\":53\", time.Second); err == nil {\n\t\t\tc.Close()\n\t\t\tok = append(ok, h)\n\t\t}\n\t}\n"
                "\tif len(ok) > 0 {\n\t\tfmt.Println(\"REACHED\", ok)\n\t\tos.Exit(0)\n\t}\n\tfmt.Println(\"BLOCKED\")\n\tos.Exit(3)\n}\n"),
    "escape": ("package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tvar hits []string\n"
               "\tattempt := func(n string, err error) {\n\t\tif err == nil {\n\t\t\thits = append(hits, n)\n\t\t}\n\t}\n"
               "\tattempt(\"delete\", os.Remove(\"MARKER_PATH\"))\n"
               "\tattempt(\"overwrite\", os.WriteFile(\"MARKER_PATH\", []byte(\"pwned\"), 0o666))\n"
               "\tattempt(\"create\", os.WriteFile(\"MARKER_DIR/new.txt\", []byte(\"x\"), 0o666))\n"
               "\tattempt(\"etc\", os.WriteFile(\"/etc/sandbox_probe\", []byte(\"x\"), 0o666))\n"
               "\tattempt(\"own_source\", os.Remove(\"/tmp/src/main.go\"))\n"
               "\tif len(hits) > 0 {\n\t\tfmt.Println(\"ESCAPED\", hits)\n\t\tos.Exit(0)\n\t}\n\tfmt.Println(\"CONTAINED\")\n\tos.Exit(3)\n}\n"),
    "killparent": ("package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\t\"syscall\"\n\t\"time\"\n)\n\nfunc main() {\n"
                   "\t_ = syscall.Kill(os.Getppid(), syscall.SIGKILL)\n\t_ = syscall.Kill(1, syscall.SIGKILL)\n"
                   "\t_ = syscall.Kill(-1, syscall.SIGKILL)\n\ttime.Sleep(200 * time.Millisecond)\n\tfmt.Println(\"still here\")\n}\n"),
}

RUST = {
    "loop": "fn main() {\n    let mut x: u64 = 0;\n    loop {\n        x = std::hint::black_box(x.wrapping_add(1));\n    }\n}\n",
    "forkbomb": "fn main() {\n    loop {\n        let _ = std::process::Command::new(\"/proc/self/exe\").spawn();\n    }\n}\n",
    "memhog": ("fn main() {\n    let mut hog: Vec<Vec<u8>> = Vec::new();\n"
               "    loop {\n        hog.push(vec![1u8; 16 << 20]);\n    }\n}\n"),
    "diskfill": ("use std::io::Write;\nfn main() {\n    let b = vec![b'x'; 1 << 20];\n    for n in 0.. {\n"
                 "        let mut f = std::fs::File::create(format!(\"fill{}.bin\", n)).unwrap();\n"
                 "        for _ in 0..8 {\n            f.write_all(&b).unwrap();\n        }\n    }\n}\n"),
    "network": ("use std::net::{SocketAddr, TcpStream};\nuse std::time::Duration;\nfn main() {\n    let mut ok = Vec::new();\n"
                "    for h in [\"1.1.1.1:53\", \"8.8.8.8:53\", \"10.0.0.1:53\"] {\n        let a: SocketAddr = h.parse().unwrap();\n"
                "        if TcpStream::connect_timeout(&a, Duration::from_secs(1)).is_ok() {\n            ok.push(h);\n        }\n    }\n"
                "    if ok.is_empty() {\n        println!(\"BLOCKED\");\n        std::process::exit(3);\n    }\n"
                "    println!(\"REACHED {:?}\", ok);\n}\n"),
    "escape": ("use std::fs;\nfn main() {\n    let mut hits = Vec::new();\n"
               "    if fs::remove_file(\"MARKER_PATH\").is_ok() { hits.push(\"delete\"); }\n"
               "    if fs::write(\"MARKER_PATH\", \"pwned\").is_ok() { hits.push(\"overwrite\"); }\n"
               "    if fs::write(\"MARKER_DIR/new.txt\", \"x\").is_ok() { hits.push(\"create\"); }\n"
               "    if fs::write(\"/etc/sandbox_probe\", \"x\").is_ok() { hits.push(\"etc\"); }\n"
               "    if fs::remove_file(\"/tmp/src/main.rs\").is_ok() { hits.push(\"own_source\"); }\n"
               "    if hits.is_empty() {\n        println!(\"CONTAINED\");\n        std::process::exit(3);\n    }\n"
               "    println!(\"ESCAPED {:?}\", hits);\n}\n"),
    "killparent": ("use std::process::Command;\nfn main() {\n    let ppid = std::os::unix::process::parent_id().to_string();\n"
                   "    for target in [ppid.as_str(), \"1\", \"-1\"] {\n"
                   "        let _ = Command::new(\"kill\").args([\"-9\", \"--\", target]).status();\n    }\n"
                   "    std::thread::sleep(std::time::Duration::from_millis(200));\n    println!(\"still here\");\n}\n"),
}

PROGRAMS = {"python": PY, "javascript": JS, "typescript": TS, "java": JAVA, "csharp": CSHARP, "go": GO, "rust": RUST}
