// Turns a Generator into files: the Makefile, INDEX, MANIFEST and, per
// port directory, one `data` file: `@NAME=value` lines the phases read,
// then sections `%` (default) and `%FLAVOR` holding the dump-vars lines.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct WriteError: Error {
    let message: String
}

struct Writer {
    let gen: Generator
    let root: String
    let arch: String
    private(set) var files = 0

    init(gen: Generator, root: String, arch: String) {
        self.gen = gen
        self.root = root
        self.arch = arch
    }

    mutating func write(_ relative: String, _ text: String) throws {
        let path = root + "/" + relative
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WriteError(message: "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var text = text
        try text.withUTF8 { buf in
            var off = 0
            while off < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw WriteError(message: "cannot write \(path): \(String(cString: strerror(errno)))")
                }
                off += n
            }
        }
        files += 1
    }

    func mkdirs(_ relative: String) throws {
        let path = root + "/" + relative
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw WriteError(message: "cannot create directory \(path): \(String(cString: strerror(errno)))")
        }
    }

    mutating func writeTree() throws {
        let o = gen.options
        for d in [".running", "obj", "distfiles", "localbase", "packages"] { try mkdirs(d) }
        var made = Set<String>()
        var index = ""
        index.reserveCapacity(gen.ports.count * 16)
        var manifest = "# bulkbuild-gentree manifest: seed \(o.seed), \(gen.ports.count) ports\(o.chain ? ", chain" : "")\n"
        manifest += "# PKGPATH KIND then path= pkg= dep= prop= sleep= and the flags ignored garbage fail missing-dep\n"
        for p in gen.ports {
            if made.insert(p.category).inserted { try mkdirs(p.category) }
            try mkdirs(p.pkgpath)
            try writePort(p)
            index += p.pkgpath + "\n"
            manifest += manifestLine(p)
        }
        try write("INDEX", index)
        try write("MANIFEST", manifest)
        try write(".built.log", "")
        try write("Makefile", makefile())
    }

    // MARK: one port

    private mutating func writePort(_ p: Port) throws {
        let dir = p.pkgpath
        var s = header(p)
        switch p.kind {
        case .plain:
            s += "%\n" + garbled(p, block(p, key: p.pkgpath, .bare))
        case .flavored:
            s += "%\n" + garbled(p, block(p, key: p.pkgpath, .bare))
            for f in Port.flavors {
                s += "%" + f + "\n" + garbled(p, block(p, key: p.pkgpath + "," + f, .flavor(f)))
            }
        case .multi:
            var text = ""
            for sub in Port.subpackages { text += block(p, key: p.pkgpath + "," + sub, .sub(sub)) }
            s += "%\n" + garbled(p, text)
        }
        try write(dir + "/data", s)
        if p.fail {
            try write(dir + "/FAIL", "bulkbuild-gentree: the build of \(p.pkgpath) fails while this file exists\n")
        }
    }

    /// The dump-vars lines of one variant, keyed `key.`.
    private func block(_ p: Port, key: String, _ v: Variant) -> String {
        var build: [String] = []
        var lib: [String] = []
        var run: [String] = []
        for d in p.deps {
            switch d.type {
            case .build: build.append(gen.word(d))
            case .lib: lib.append(gen.word(d))
            case .run:
                if case .sub("-lib") = v { continue }
                run.append(gen.word(d))
            }
        }
        if p.missingDep { build.append(Generator.missingPath) }
        if v == .sub("-main") { run.append("\(p.name)-lib-*:\(p.pkgpath),-lib") }
        var s = ""
        func line(_ name: String, _ value: String) {
            if !value.isEmpty { s += key + "." + name + "=" + value + "\n" }
        }
        line("FULLPKGNAME", p.packageName(v))
        line("COMMENT", "\"synthetic port number \(p.index + 1)\"")
        switch v {
        case .bare where p.kind == .flavored:
            line("FLAVORS", Port.flavors.joined(separator: " "))
        case .flavor(let f):
            line("FLAVORS", Port.flavors.joined(separator: " "))
            line("FLAVOR", f)
        case .sub(let sub):
            line("MULTI_PACKAGES", Port.subpackages.joined(separator: " "))
            line("SUBPACKAGE", sub)
        default: break
        }
        line("BUILD_DEPENDS", build.joined(separator: " "))
        line("LIB_DEPENDS", lib.joined(separator: " "))
        line("RUN_DEPENDS", run.joined(separator: " "))
        line("DPB_PROPERTIES", p.properties.joined(separator: " "))
        if p.ignored { line("IGNORE", "is marked as broken: synthetic ignored port") }
        return s
    }

    /// A --garbage port: malformed lines, then the error trailer.
    private func garbled(_ p: Port, _ text: String) -> String {
        guard p.garbage else { return text }
        return text
            + "this line has no equals sign\n"
            + "\(p.pkgpath).BADKEY.lower=x\n"
            + "\(p.pkgpath).BUILD_DEPENDS=devel/x:<=:oops\n"
            + "===> Exiting \(p.pkgpath) with an error\n"
    }

    /// What the phases need, as `@NAME=value` shell assignments.
    private func header(_ p: Port) -> String {
        let c = p.sleepCentis
        func list(_ pkgs: [String]) -> String { "\"" + pkgs.map { $0 + ".tgz" }.joined(separator: " ") + "\"" }
        var s = "@PKGPATH=\(p.pkgpath)\n@LOCK=\(p.lockName)\n"
        s += "@SLEEP=" + Writer.seconds(c) + "\n"
        // The serial+parallel model: SCALABLE of SLEEP is divided by MAKE_JOBS.
        let o = gen.options
        let scalable = p.properties.contains("parallel") ? Int((Double(c) * o.scalable).rounded()) : 0
        s += "@SCALABLE=" + Writer.seconds(scalable) + "\n"
        s += "@PSLEEP=" + Writer.seconds(Int((Double(c) * o.phaseShare).rounded())) + "\n"
        s += "@NEEDS=" + list(gen.neededPackages(p)) + "\n"
        s += p.ignored ? "@IGNORE=\"synthetic ignored port\"\n" : "@IGNORE=\n"
        s += "@PKGS=" + list(p.packagesBuilt(.bare)) + "\n"
        if p.kind == .flavored {
            s += "@FLAVORS=\"" + Port.flavors.joined(separator: " ") + "\"\n"
            for f in Port.flavors { s += "@PKGS_\(f)=" + list(p.packagesBuilt(.flavor(f))) + "\n" }
        } else {
            s += "@FLAVORS=\n"
        }
        return s
    }

    /// Centiseconds as `S.CC`.
    static func seconds(_ c: Int) -> String { "\(c / 100).\(c % 100 < 10 ? "0" : "")\(c % 100)" }

    private func manifestLine(_ p: Port) -> String {
        var s = p.pkgpath + " " + p.kind.rawValue
        for f in p.fullpkgpaths { s += " path=" + f }
        for k in p.allPackages { s += " pkg=" + k }
        for d in p.deps { s += " dep=" + gen.ports[d.target].pkgpath }
        if p.missingDep { s += " dep=" + Generator.missingPath }
        for q in p.properties { s += " prop=" + q }
        let c = p.sleepCentis
        s += " sleep=" + Writer.seconds(c)
        if p.properties.contains("parallel") && gen.options.scalable > 0 {
            s += " scalable=" + Writer.seconds(Int((Double(c) * gen.options.scalable).rounded()))
        }
        if p.ignored { s += " ignored" }
        if p.garbage { s += " garbage" }
        if p.fail { s += " fail" }
        if p.missingDep { s += " missing-dep" }
        return s + "\n"
    }

    // MARK: the Makefile

    private func makefile() -> String {
        let o = gen.options
        var m = """
        # Synthetic ports tree written by bulkbuild-gentree (seed \(o.seed), \(gen.ports.count) ports).
        # It answers bulkbuild's tree protocol: print-data, dump-vars and the
        # build phases, each a shell one-liner; the phases take SUBDIR=FULLPKGPATH.
        .SILENT:
        SHELL = /bin/sh
        T := $(CURDIR)
        ARCH = \(arch)
        LOGLINES = \(o.logLines)
        # WRKOBJDIR on the make command line (-M) moves the work directories.
        WRKOBJDIR = $(T)/obj
        WORKDIR_NOTE = $(if $(filter command line,$(origin WRKOBJDIR)),echo "===> Work directory $$w on $$(stat -f -c %T "$$w")";)
        ALL = $(T)/packages/$(ARCH)/all
        PHASES = depends prepare fetch checksum patch configure build fake package clean junk install
        .PHONY: \(o.printData ? "print-data " : "")dump-vars $(PHASES)

        Makefile: ;
        .DEFAULT:
        \techo "$@: unknown target in this synthetic tree"; exit 1


        """
        // `#` must be escaped inside variable definitions, not inside recipes.
        m += ##"""
        PORT = s="$${SUBDIR:-}"; case "$$s" in ""|*" "*) echo "$@: SUBDIR must hold exactly one fullpkgpath, not '$$s'"; exit 1;; esac; d="$${s%%,*}"; case "$$s" in *,*) r="$${s\#*,}";; *) r="";; esac; fl=""; oifs="$$IFS"; IFS=,; for f in $$r; do case "$$f" in ""|-*) ;; *) fl="$${fl:+$$fl,}$$f";; esac; done; IFS="$$oifs"; i="$(T)/$$d/data"; [ -f "$$i" ] || { echo "$@: no such port: $$s"; exit 1; }; while IFS= read -r l; do case "$$l" in @*) eval "$${l\#@}";; *) break;; esac; done < "$$i"; if [ -n "$$fl" ]; then case " $$FLAVORS " in *" $$fl "*) eval "PKGS=\$$PKGS_$$fl";; *) echo "$@: $$d has no flavor $$fl"; exit 1;; esac; fi; w="$(WRKOBJDIR)/$$LOCK"; [ -d "$$w" ] || mkdir -p "$$w"
        PSLEEP = case "$$PSLEEP" in ""|0|0.00) ;; *) sleep "$$PSLEEP";; esac
        CHECK = miss=""; for f in $$NEEDS; do [ -f "$(ALL)/$$f" ] || miss="$$miss $$f"; done; if [ -n "$$miss" ]; then echo "$@: $$s: missing package files of build dependencies in $(ALL):$$miss"; exit 1; fi


        """##
        if o.printData {
            m += #"""
            print-data:
            	printf '%s\n' "PACKAGE_REPOSITORY=$(T)/packages" "DISTDIR=$(T)/distfiles" "MACHINE_ARCH=$(ARCH)" "LOCALBASE=$(T)/localbase" "WRKOBJDIR=$(WRKOBJDIR)"


            """#
        }
        m += #"""
        dump-vars:
        	T="$(T)" awk 'function broken(d) { if (!(("!" d) in seen)) print ">> Broken dependency: " d " non existent"; seen["!" d] = 1 } function one(e, whole,  d, r, n, i, p, fl, f, l, k, sec, on, found, any) { d = e; sub(/,.*/, "", d); r = substr(e, length(d) + 2); n = split(r, p, ","); fl = ""; for (i = 1; i <= n; i++) if (p[i] != "" && substr(p[i], 1, 1) != "-") fl = (fl == "" ? p[i] : fl "," p[i]); if (d !~ /^[A-Za-z0-9._+][A-Za-z0-9._+-]*(\/[A-Za-z0-9._+][A-Za-z0-9._+-]*)+$$/ || d ~ /(^|\/)\.\.(\/|$$)/) { broken(d); return } k = d (whole ? "%*" : "%" fl); if (k in seen) return; f = T "/" d "/data"; found = 0; on = 0; any = 0; while ((getline l < f) > 0) { any = 1; c = substr(l, 1, 1); if (c == "@") continue; if (c == "%") { sec = substr(l, 2); on = whole || sec == fl; if (on) { found = 1; print "===> " (whole ? d (sec == "" ? "" : "," sec) : e) } continue } if (on) print l } close(f); if (!any) { broken(d); return } seen[k] = 1; if (!found) { print "===> " e; print "no flavor " fl " in " d; print "===> Exiting " e " with an error" } } BEGIN { T = ENVIRON["T"]; n = split(ENVIRON["SUBDIR"], e, " "); if (n == 0) { f = T "/INDEX"; while ((getline l < f) > 0) if (l != "") one(l, 1) } else for (i = 1; i <= n; i++) one(e[i], 0) }'

        depends:
        	$(PORT); mkdir -p "$(T)/localbase/pkgdb"; echo "===> Installing build dependencies of $$s"; for f in $$NEEDS; do [ -f "$(ALL)/$$f" ] || continue; echo "   $${f%.tgz}"; : > "$(T)/localbase/pkgdb/$${f%.tgz}"; done; $(CHECK)

        prepare:
        	$(PORT); $(CHECK); mkdir "$(T)/.running/$$LOCK" 2>/dev/null || { echo "prepare: concurrent build of $$PKGPATH ($(T)/.running/$$LOCK exists)"; exit 1; }; echo "===> Everything needed by $$s is there"

        fetch checksum:
        	$(PORT); echo "===> $@ for $$s: no distfiles"

        patch:
        	$(PORT); echo "===> Patching for $$s"; : > "$$w/.patch_done"

        configure:
        	$(PORT); echo "===> Configuring for $$s$(if $(MAKE_JOBS), with MAKE_JOBS=$(MAKE_JOBS))"; echo "checking for a synthetic compiler... yes"; $(PSLEEP); : > "$$w/.configure_done"

        build:
        	$(PORT); [ -z "$$IGNORE" ] || { echo "build: $$s is ignored: $$IGNORE"; exit 1; }; if [ -e "$(T)/$$d/FAIL" ]; then echo "build: $$s: FAIL marker present ($(T)/$$d/FAIL)"; exit 1; fi; echo "===> Building for $$s$(if $(MAKE_JOBS), with MAKE_JOBS=$(MAKE_JOBS))"; n=0; while [ $$n -lt $(LOGLINES) ]; do echo "cc -O2 -c unit$$n.c -o unit$$n.o"; n=$$((n+1)); done; case "$$SCALABLE" in ""|0|0.00) ;; *) SLEEP=$$(awk -v s="$$SLEEP" -v p="$$SCALABLE" -v j="$(or $(MAKE_JOBS),1)" 'BEGIN { printf "%.2f", s - p + p / j }');; esac; case "$$PSLEEP" in ""|0|0.00) ;; *) [ -f "$$w/.configure_done" ] || SLEEP=$$(awk -v s="$$SLEEP" -v q="$$PSLEEP" 'BEGIN { printf "%.2f", s + 2 * q }');; esac; case "$$SLEEP" in ""|0|0.00) ;; *) sleep "$$SLEEP";; esac; : > "$$w/.build_done"; $(WORKDIR_NOTE) echo "===> Built $$s"

        fake:
        	$(PORT); echo "===> Faking installation for $$s$(if $(MAKE_JOBS), with MAKE_JOBS=$(MAKE_JOBS))"; $(PSLEEP); : > "$$w/.fake_done"

        package:
        	$(PORT); a="$(ALL)"; [ -d "$$a" ] || mkdir -p "$$a"; for f in $$PKGS; do printf 'synthetic package %s built from %s\n' "$${f%.tgz}" "$$s" > "$$a/.$$f.tmp" && mv -f "$$a/.$$f.tmp" "$$a/$$f" || exit 1; echo "===> Created $$a/$$f"; done; echo "$$s $$$$ $$(date +%s)" >> "$(T)/.built.log"; rmdir "$(T)/.running/$$LOCK" 2>/dev/null; :

        clean:
        	$(PORT); rm -rf "$$w"; rmdir "$(T)/.running/$$LOCK" 2>/dev/null; echo "===> Cleaning for $$s"

        install:
        	$(PORT); mkdir -p "$(T)/localbase/installed"; for f in $$PKGS; do [ -f "$(ALL)/$$f" ] || { echo "install: $$s: no package $(ALL)/$$f"; exit 1; }; cp "$(ALL)/$$f" "$(T)/localbase/installed/$$f" || exit 1; echo "===> Installed $${f%.tgz} into $(T)/localbase"; done

        junk:
        	db="$(T)/localbase/pkgdb"; keep=" $${JUNK_KEEP:-} "; n=0; for f in "$$db"/*; do [ -e "$$f" ] || continue; b="$${f##*/}"; case "$$keep" in *" $$b "*) ;; *) rm -f "$$f"; n=$$((n+1));; esac; done; echo "===> junk: removed $$n package(s), kept: $${JUNK_KEEP:-nothing}"

        """#
        return m
    }
}
