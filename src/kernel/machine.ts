// Facts of the machine the 7.2 corpora were recorded on (qemu guest running Debian's 7.2.13
// kernel) that are not in its BTF but change what the verifier or the loader sees.

/**
 * nr_cpu_ids: the boot log (corpus vm-run dmesg) says "setup_percpu: NR_CPUS:8192
 * nr_cpumask_bits:2 nr_cpu_ids:2". The verifier bounds bpf_get_smp_processor_id() by it and
 * libbpf_num_possible_cpus() (/sys/devices/system/cpu/possible) counts the same CPUs.
 */
export const DEFAULT_NR_CPU_IDS = 2;
