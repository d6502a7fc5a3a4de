//! ADD, DEL, CHECK and GC: each under the network's lock, the IPAM store
//! written before the kernel is touched, and the network's nft table
//! rewritten whole from the store after.

use super::conf::Conf;
use super::error::{CniError, Code};
use super::ipam::{self, Attachment, Store};
use super::{net, result, Env};
use crate::host::linux::Linux;
use crate::host::Host;
use crate::plan::Op;
use crate::record::{self, Record};
use crate::state::fmt_mac;
use nslab_sys::statedir::StateDir;
use serde_json::Value;

/// What a record's `source` starts with for a CNI network.
pub const SOURCE: &str = "cni network";

fn sd(e: nslab_sys::Error) -> CniError {
    CniError::new(Code::Io, "state directory").details(e.to_string())
}

fn load(dir: &StateDir) -> Result<Store, CniError> {
    match dir.read(ipam::FILE).map_err(sd)? {
        None => Ok(Store::default()),
        Some(b) => Store::from_json(&b).map_err(|e| {
            CniError::new(Code::Io, format!("{} is damaged", ipam::FILE)).details(e.to_string())
        }),
    }
}

fn save(dir: &StateDir, store: &Store) -> Result<(), CniError> {
    dir.write_atomic(ipam::FILE, &store.to_json()).map_err(sd)
}

/// The lab's record, made on first use; a lab of that name that is not a
/// CNI network is never touched.
fn record(dir: &StateDir, conf: &Conf) -> Result<Record, CniError> {
    let rec = match dir.read(record::FILE).map_err(sd)? {
        Some(b) => Record::from_json(&b).map_err(|e| {
            CniError::new(Code::Io, "the network's record is damaged").details(e.to_string())
        })?,
        None => {
            let mut r = Record::new(&conf.name);
            r.source = format!("{SOURCE} {}", conf.name);
            r.nodes.insert(net::host_at().node, None);
            r.nat_nodes = Some(Default::default());
            r
        }
    };
    if !rec.source.starts_with(SOURCE) {
        return Err(CniError::new(
            Code::InvalidConfig,
            format!("a lab named {} exists and is not a CNI network", conf.name),
        )
        .details("give the network another name, or `nslab down` that lab"));
    }
    Ok(rec)
}

/// The host's forwarding switches on (not for an internal network), each
/// one's old value recorded first so that `nslab down` puts it back.
fn forwarding(dir: &StateDir, rec: &mut Record, conf: &Conf) -> Result<(), CniError> {
    let mut keys = vec!["net.ipv4.ip_forward"];
    if conf.subnets.iter().any(|(n, _)| n.is_ipv6()) {
        keys.push("net.ipv6.conf.all.forwarding");
    }
    let mut todo = Vec::new();
    for k in keys {
        let now = nslab_sys::sysctl::read(k).map_err(|e| CniError::kernel("read sysctl", e))?;
        if now != "1" {
            rec.host_sysctls.entry(k.to_string()).or_insert(now);
            todo.push(k);
        }
    }
    dir.write_atomic(record::FILE, &rec.to_json()).map_err(sd)?;
    let mut host = Linux::new(&conf.name);
    for k in todo {
        let op = Op::SetSysctl {
            at: net::host_at(),
            key: k.to_string(),
            value: "1".into(),
        };
        host.apply(&op)
            .map_err(|e| CniError::kernel(&format!("{} failed", e.op), e.cause))?;
    }
    Ok(())
}

/// The attachment ADD makes: the one recorded for this container and
/// interface (an ADD retried), or a new one with fresh addresses.
fn attachment(env: &Env, conf: &Conf, store: &Store) -> Result<Attachment, CniError> {
    if let Some(a) = store.find(&env.container_id, &env.ifname) {
        return Ok(a.clone());
    }
    let addresses = match &conf.prev {
        Some(prev) => result::prev_addresses(prev, &env.ifname, &env.netns),
        None if conf.subnets.is_empty() => {
            return Err(CniError::new(Code::InvalidConfig, "no `subnets`")
                .details("a network that is not chained after another plugin needs subnets"))
        }
        None => store
            .allocate(&conf.subnets)
            .map_err(|full| CniError::new(Code::TryAgainLater, format!("subnet {full} is full")))?
            .iter()
            .map(ToString::to_string)
            .collect(),
    };
    Ok(Attachment {
        container_id: env.container_id.clone(),
        ifname: env.ifname.clone(),
        netns: env.netns.clone(),
        host_veth: conf
            .prev
            .is_none()
            .then(|| net::host_veth(&conf.name, &env.container_id, &env.ifname)),
        addresses,
        ports: conf.ports.clone(),
    })
}

pub fn add(env: &Env, conf: &Conf) -> Result<Value, CniError> {
    let dir = StateDir::open(&conf.name).map_err(sd)?;
    let _lock = dir.lock().map_err(sd)?;
    let mut rec = record(&dir, conf)?;
    let mut store = load(&dir)?;
    let a = attachment(env, conf, &store)?;
    store.remove(&a.container_id, &a.ifname);
    store.attachments.push(a.clone());
    store.net = super::isolate::info(conf);
    // Recorded before the kernel is touched: a DEL after a kill finds it.
    save(&dir, &store)?;
    if conf.prev.is_none() && !conf.internal {
        forwarding(&dir, &mut rec, conf)?;
    } else {
        dir.write_atomic(record::FILE, &rec.to_json()).map_err(sd)?;
    }
    let mut host = Linux::new(&conf.name);
    let made = (|| {
        if conf.prev.is_none() {
            net::ensure_bridge(&mut host, conf)?;
            net::attach(&mut host, conf, &a)?;
        }
        net::write_nat(&mut host, conf, &store)
    })();
    if let Err(e) = made {
        // Undo this ADD: the veth, the addresses, the rules.
        if let Some(v) = &a.host_veth {
            let _ = net::detach_veth(&mut host, v);
        }
        store.remove(&a.container_id, &a.ifname);
        save(&dir, &store)?;
        let _ = net::write_nat(&mut host, conf, &store);
        return Err(e);
    }
    let mac = net::mac_for(&a.cidrs(), &conf.name, &a.container_id, &a.ifname);
    Ok(result::added(conf, &a, &fmt_mac(&mac)))
}

/// Removes the attachment (recorded or not: the host end of its veth has
/// a name derived from it) and its rules; what is already gone is fine.
pub fn del(env: &Env, conf: &Conf) -> Result<(), CniError> {
    let Some(dir) = StateDir::find(&conf.name).map_err(sd)? else {
        return Ok(());
    };
    let _lock = dir.lock().map_err(sd)?;
    if dir.read(record::FILE).map_err(sd)?.is_some() {
        record(&dir, conf)?;
    }
    let mut store = load(&dir)?;
    let gone = store.remove(&env.container_id, &env.ifname);
    let mut host = Linux::new(&conf.name);
    let veth = net::host_veth(&conf.name, &env.container_id, &env.ifname);
    net::detach_veth(&mut host, &veth)?;
    if let Some(v) = gone.as_ref().and_then(|a| a.host_veth.as_ref()) {
        net::detach_veth(&mut host, v)?;
    }
    store.net = super::isolate::info(conf);
    save(&dir, &store)?;
    net::write_nat(&mut host, conf, &store)
}

pub fn check(env: &Env, conf: &Conf) -> Result<(), CniError> {
    if conf.version.starts_with("0.3") {
        return Err(CniError::new(
            Code::IncompatibleVersion,
            "CHECK needs cniVersion 0.4.0 or later",
        ));
    }
    let missing = || CniError::new(Code::ContainerUnknown, "no such attachment");
    let dir = StateDir::find(&conf.name)
        .map_err(sd)?
        .ok_or_else(missing)?;
    let _lock = dir.lock().map_err(sd)?;
    let store = load(&dir)?;
    let a = store
        .find(&env.container_id, &env.ifname)
        .ok_or_else(missing)?;
    net::verify(conf, a)?;
    Ok(())
}

/// Removes every attachment the runtime no longer lists.
pub fn gc(conf: &Conf) -> Result<(), CniError> {
    let Some(valid) = &conf.valid else {
        return Err(CniError::new(
            Code::InvalidConfig,
            "GC needs cni.dev/valid-attachments",
        ));
    };
    let Some(dir) = StateDir::find(&conf.name).map_err(sd)? else {
        return Ok(());
    };
    let _lock = dir.lock().map_err(sd)?;
    let mut store = load(&dir)?;
    let mut host = Linux::new(&conf.name);
    let (keep, stale): (Vec<Attachment>, Vec<Attachment>) = std::mem::take(&mut store.attachments)
        .into_iter()
        .partition(|a| valid.iter().any(|v| a.is(&v.container_id, &v.ifname)));
    store.attachments = keep;
    for a in &stale {
        if let Some(v) = &a.host_veth {
            net::detach_veth(&mut host, v)?;
        }
    }
    store.net = super::isolate::info(conf);
    save(&dir, &store)?;
    net::write_nat(&mut host, conf, &store)
}
