//! This machine as the model asks about it when a file is validated for
//! `up`: its interfaces (and those a lab holds), the programs `run:` can
//! start, and the images in Podman's local store.

use nslab_model::{Host, HostInterfaces, HostPrograms, ImageLookup, ProgramLookup};
use nslab_sys::statedir::StateDir;
use std::path::Path;

/// Interfaces of the namespace nslab runs in, asked over netlink
/// (`/sys/class/net` would show the namespace sysfs was mounted in), and
/// those the file's lab has moved into its nodes (they are not in the host
/// while the lab is up, yet the file is right to name them).
#[derive(Default)]
pub(super) struct KernelInterfaces {
    moved_in: Vec<String>,
}

impl HostInterfaces for KernelInterfaces {
    fn exists(&self, name: &str) -> bool {
        // One socket per question: only `physical` interfaces are asked about.
        self.moved_in.iter().any(|m| m == name) || crate::host::query::interface_exists(name)
    }
}

impl KernelInterfaces {
    /// For a file with `physical` interfaces: the host interfaces its lab's
    /// record says are in the lab's nodes now.
    pub(super) fn for_file(text: &str) -> KernelInterfaces {
        if !text.contains("physical") {
            return KernelInterfaces::default();
        }
        let Ok(t) = nslab_model::parse_str("", text, &nslab_model::AnyHostInterfaces) else {
            return KernelInterfaces::default();
        };
        let lab = t.lab.as_str();
        // What the record says, and what the marks on the interfaces in
        // the lab's namespaces say (the record may be lost).
        let mut moved_in: Vec<String> = Vec::new();
        if let Ok(Some(dir)) = StateDir::find(lab) {
            if let Ok(crate::lab::Recorded::Found(rec)) = crate::lab::look(&dir) {
                moved_in.extend(
                    rec.physical
                        .iter()
                        .filter(|(key, _)| {
                            let node = key.rsplit_once(':').map_or(key.as_str(), |(n, _)| n);
                            matches!(rec.nodes.get(node), Some(Some(ns)) if nslab_sys::netns::exists(ns))
                        })
                        .map(|(_, from)| from.clone()),
                );
            }
        }
        // Validation asks the machine nslab runs on.
        let mut host = crate::host::linux::Linux::new(lab);
        let owned: Vec<(String, Option<String>)> = crate::lab::owned_namespaces(&mut host, lab)
            .into_iter()
            .map(|ns| (ns.clone(), Some(ns)))
            .collect();
        moved_in.extend(crate::host::Host::physical_marks(&mut host, lab, &owned).into_values());
        KernelInterfaces { moved_in }
    }
}

/// Programs as `execvp` finds them when `run:` starts one: argv\[0\] with
/// a `/` is a path; without, the first executable `PATH` entry of that name
/// (`PATH` unset: /bin:/usr/bin, as glibc does).
pub(super) struct FileSystemPrograms;

impl FileSystemPrograms {
    fn executable(path: &Path) -> ProgramLookup {
        match std::fs::metadata(path) {
            Err(_) => ProgramLookup::Missing,
            Ok(m) if !m.is_file() => ProgramLookup::NotExecutable,
            Ok(_) => {
                if nix::unistd::access(path, nix::unistd::AccessFlags::X_OK).is_ok() {
                    ProgramLookup::Found
                } else {
                    ProgramLookup::NotExecutable
                }
            }
        }
    }
}

impl HostPrograms for FileSystemPrograms {
    fn lookup(&self, argv0: &str) -> ProgramLookup {
        if argv0.is_empty() || argv0.contains('\0') {
            return ProgramLookup::Missing;
        }
        if argv0.contains('/') {
            return Self::executable(Path::new(argv0));
        }
        let path = std::env::var_os("PATH").unwrap_or_else(|| "/bin:/usr/bin".into());
        let mut seen = ProgramLookup::Missing;
        for dir in std::env::split_paths(&path) {
            // An empty entry is the current directory, as for execvp.
            let dir = if dir.as_os_str().is_empty() {
                std::path::PathBuf::from(".")
            } else {
                dir
            };
            match Self::executable(&dir.join(argv0)) {
                ProgramLookup::Found => return ProgramLookup::Found,
                ProgramLookup::NotExecutable => seen = ProgramLookup::NotExecutable,
                ProgramLookup::Missing => {}
            }
        }
        seen
    }
}

/// [`FileSystemPrograms`], and the images in the host's local store
/// (Podman's): what `up` checks a file with `image:` against, before
/// anything is made (`validate`, `plan` and `graph` need Podman, not the
/// images).
pub(super) struct LocalImages<'h>(pub std::cell::RefCell<&'h mut dyn crate::host::Containers>);

impl HostPrograms for LocalImages<'_> {
    fn lookup(&self, argv0: &str) -> ProgramLookup {
        FileSystemPrograms.lookup(argv0)
    }

    fn image(&self, reference: &str) -> ImageLookup {
        match self.0.borrow_mut().image_exists(reference) {
            Ok(true) => ImageLookup::Present,
            Ok(false) => ImageLookup::Absent,
            Err(e) => ImageLookup::Unknown(e.to_string()),
        }
    }
}

/// The machine nslab runs on, as the model asks about it.
pub(super) fn host(interfaces: &KernelInterfaces) -> Host<'_> {
    Host {
        interfaces,
        programs: &FileSystemPrograms,
    }
}
