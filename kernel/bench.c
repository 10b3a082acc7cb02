// SPDX-License-Identifier: GPL-2.0-only
#include <linux/module.h>
static int __init b_init(void) { pr_info("# dpidx_bench: done\n"); return 0; }
module_init(b_init);
MODULE_LICENSE("GPL");
